#pragma once
// backend: operator. The same submission as a SparkApplication
// (sparkoperator.k8s.io/v1beta2) for clusters that run the Spark operator,
// which then creates the driver itself. Pure.
#include <string>

#include <nlohmann/json.hpp>

#include "submission.hpp"

namespace sg::spark_submit {

struct OperatorInput {
  Submission submission;
  std::string name;  // the SparkApplication's name (DNS label)
  std::string ns;
};

nlohmann::json spark_application(const OperatorInput& in);

}  // namespace sg::spark_submit
