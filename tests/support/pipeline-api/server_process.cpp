#include "server_process.hpp"

#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <stdlib.h>

namespace sg::testing::pipeline_api {

namespace {

http::Options control_options() {
  http::Options o;
  o.total_timeout = std::chrono::seconds(10);
  // The control API is local and must not hide a failure behind retries.
  o.retry.max_attempts = 1;
  return o;
}

}  // namespace

std::map<std::string, std::string> sanitizer_environment() {
  std::map<std::string, std::string> env;
  for (const char* name : {"ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS"}) {
    if (const char* v = std::getenv(name)) env[name] = v;
  }
  return env;
}

ServerProcess::ServerProcess(const std::string& binary, const std::vector<std::string>& args)
    : client_(std::make_unique<http::Client>(control_options())) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "pipeline-api-server.XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  auto port_file = dir_ + "/port";
  std::vector<std::string> argv = {binary, "--port", "0", "--port-file", port_file};
  argv.insert(argv.end(), args.begin(), args.end());
  process_ = std::make_unique<util::Process>(argv, sanitizer_environment());
  // The server prints its address once listening, then writes the port file.
  if (process_->wait_for_output("listening on", std::chrono::seconds(20))) {
    for (int i = 0; i < 200; ++i) {
      std::ifstream f(port_file);
      if (f >> port_ && port_ > 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  auto r = process_->wait(std::chrono::seconds(1));
  throw std::runtime_error("pipeline-api-server did not start: " + r.out + r.err);
}

ServerProcess::~ServerProcess() {
  if (!stopped_) stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string ServerProcess::url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::string ServerProcess::endpoint() const {
  return url() + "/pipeline/api/v1";
}

nlohmann::json ServerProcess::control(const std::string& method, const std::string& path, const nlohmann::json& body) {
  http::Request req;
  req.method = method;
  req.url = url() + path;
  if (!body.is_null()) {
    req.body = body.dump();
    req.headers.emplace_back("Content-Type", "application/json");
  }
  auto resp = client_->send(req);
  if (!resp.ok()) {
    throw std::runtime_error(method + " " + path + " answered " + std::to_string(resp.status) + ": " + resp.body);
  }
  return nlohmann::json::parse(resp.body);
}

std::vector<std::string> ServerProcess::violations() {
  return control("GET", "/_test/violations")["violations"].get<std::vector<std::string>>();
}

util::ProcessResult ServerProcess::stop() {
  if (stopped_) return result_;
  stopped_ = true;
  process_->signal(SIGTERM);
  result_ = process_->wait(std::chrono::seconds(20));
  return result_;
}

}  // namespace sg::testing::pipeline_api
