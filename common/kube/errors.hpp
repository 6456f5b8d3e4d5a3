#pragma once
// Typed errors from the API server's Status objects, with the verb and
// resource in the message so a CI log says exactly what was refused.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "http/client.hpp"
#include "runtime/error.hpp"

namespace sg::kube {

struct Cause {
  std::string reason;
  std::string field;
  std::string message;
};

class ApiError : public Error {
 public:
  ApiError(std::string message, std::string hint, int code, std::string reason, std::vector<Cause> causes,
           std::optional<std::chrono::milliseconds> retry_after)
      : Error(std::move(message), std::move(hint)),
        code_(code),
        reason_(std::move(reason)),
        causes_(std::move(causes)),
        retry_after_(retry_after) {}
  int code() const { return code_; }
  const std::string& reason() const { return reason_; }  // NotFound, AlreadyExists, Conflict, Invalid, ...
  const std::vector<Cause>& causes() const { return causes_; }
  std::optional<std::chrono::milliseconds> retry_after() const { return retry_after_; }

  bool not_found() const { return code_ == 404; }
  bool already_exists() const { return code_ == 409 && reason_ == "AlreadyExists"; }
  bool conflict() const { return code_ == 409 && reason_ != "AlreadyExists"; }
  bool gone() const { return code_ == 410; }
  bool invalid() const { return code_ == 422; }
  bool forbidden() const { return code_ == 403; }
  bool unauthorized() const { return code_ == 401; }
  bool too_many_requests() const { return code_ == 429; }

 private:
  int code_;
  std::string reason_;
  std::vector<Cause> causes_;
  std::optional<std::chrono::milliseconds> retry_after_;
};

// `verb` is the Kubernetes verb (get, list, create, patch, ...), `what`
// describes the object ("jobs \"build-1\" in namespace \"ci\"").
ApiError api_error(const http::Response& response, const std::string& verb, const std::string& what);
// Same, from a Status object seen inside a watch stream (ERROR events).
ApiError api_error_from_status(const std::string& status_json, const std::string& verb, const std::string& what);

}  // namespace sg::kube
