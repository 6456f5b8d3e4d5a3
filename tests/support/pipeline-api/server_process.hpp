#pragma once
// The `pipeline-api-server` executable as a test peer: started with a free
// port, driven through its /_test/ control API, stopped with SIGTERM. The
// end-to-end tests talk to it over HTTP only, as pipeline-client does.
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/client.hpp"
#include "util/process.hpp"

namespace sg::testing::pipeline_api {

// The sanitizer settings of the test run (the debug preset sets them), for
// child processes, so their leak checks use the project's suppressions.
std::map<std::string, std::string> sanitizer_environment();

class ServerProcess {
 public:
  // `binary` is the pipeline-api-server executable; `args` its flags.
  ServerProcess(const std::string& binary, const std::vector<std::string>& args);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int port() const { return port_; }
  std::string url() const;       // http://127.0.0.1:port
  std::string endpoint() const;  // what pipeline-client's `endpoint` takes

  // A call to the control API (/_test/...); throws on a non-2xx reply.
  nlohmann::json control(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr);
  nlohmann::json requests() { return control("GET", "/_test/requests"); }
  std::vector<std::string> violations();

  // SIGTERM, then the process's exit code and output.
  util::ProcessResult stop();

 private:
  std::string dir_;
  std::unique_ptr<util::Process> process_;
  std::unique_ptr<http::Client> client_;
  int port_ = 0;
  bool stopped_ = false;
  util::ProcessResult result_;
};

}  // namespace sg::testing::pipeline_api
