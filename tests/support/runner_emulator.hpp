#pragma once
// The tests' name for common/pipeline/step_env: the CI runner emulator.
#include "pipeline/step_env.hpp"

namespace sg::testing {
using pipeline::Build;
using pipeline::detect_host;
using pipeline::encode_value;
using pipeline::go_format_float;
using pipeline::Host;
using pipeline::host_name;
using pipeline::metadata_environment;
using pipeline::pipeline_steps;
using pipeline::step_environment;
using pipeline::StepEnvironment;
}  // namespace sg::testing
