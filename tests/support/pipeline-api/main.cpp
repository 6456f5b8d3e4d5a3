// pipeline-api-server: the contract-checked fake of Banzai Cloud's Pipeline
// REST API as a process, for the end-to-end demo and for manual runs. See
// README.md beside this file for the flags and the /_test/ control API.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "server.hpp"
#include "settings/parse.hpp"

namespace {

using sg::testing::pipeline_api::Server;
using sg::testing::pipeline_api::ServerOptions;

const char* kUsage = R"(usage: pipeline-api-server [flags]

A stateful fake of Banzai Cloud's Pipeline REST API (the real server no longer
exists). Every request is checked against the OpenAPI contract; mismatches are
recorded as violations (GET /_test/violations) and listed at exit.

  --host H                  listen address (default 127.0.0.1)
  --port N                  port; 0 picks a free one (default 0)
  --port-file F             write the chosen port to F once listening
  --base-path P             API root prefix (default /pipeline: the API is at P/api/v1)
  --contract F              OpenAPI file (default: the copy in tests/fixtures/pipeline-api)
  --api orgs|0.3.0          API generation (default orgs)
  --token T                 accepted bearer token (repeatable; default test-token)
  --expired-token T         a token that answers 401 "Token is expired" (repeatable)
  --org NAME[=ID]           an organization (repeatable; default acme=1)
  --cluster-create-delay D  CREATING (HEAD 400) this long (default 300ms)
  --cluster-delete-delay D  DELETING this long (default 200ms)
  --helm-delay D            Tiller ready this long after the cluster (default 100ms)
  --release-delay D         PENDING_INSTALL/UPGRADE this long (default 100ms)
  --lb-pending D            endpoints answer 202 this long after deploy (default 200ms)
  --kubeconfig-format F     json | base64 | yaml (default json)
  --kubeconfig-file F       hand out this kubeconfig for every cluster (the demo
                            points the later steps at the local test cluster)
  --stuck-cluster NAME      a cluster that never leaves CREATING (repeatable)
  --fail-release NAME[=MSG] a release that ends FAILED (repeatable)
  --config JSON             any behaviour keys as JSON (see POST /_test/config)
  --fail-on-violations      exit 3 when any request violated the contract
Durations: 300ms, 2s, 1m, or bare seconds. Stops on SIGTERM or SIGINT.
)";

int usage_error(const std::string& message) {
  std::cerr << "pipeline-api-server: " << message << "\n\n" << kUsage;
  return 2;
}

std::int64_t millis(const std::string& text) {
  return sg::settings::parse_duration(text).count();
}

}  // namespace

int main(int argc, char** argv) {
  ServerOptions options;
  std::string port_file;
  bool fail_on_violations = false;
  std::vector<sg::testing::pipeline_api::Token> tokens;
  std::vector<sg::testing::pipeline_api::Org> orgs;
  auto& b = options.behaviour;
  try {
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg == "--help" || arg == "-h") {
        std::cout << kUsage;
        return 0;
      }
      if (arg == "--fail-on-violations") {
        fail_on_violations = true;
        continue;
      }
      if (i + 1 >= argc) return usage_error(arg + " needs a value");
      std::string v = argv[++i];
      if (arg == "--host") {
        options.host = v;
      } else if (arg == "--port") {
        options.port = std::stoi(v);
      } else if (arg == "--port-file") {
        port_file = v;
      } else if (arg == "--base-path") {
        options.base_path = v;
      } else if (arg == "--contract") {
        options.contract = v;
      } else if (arg == "--api") {
        if (v != "orgs" && v != "0.3.0") return usage_error("--api must be orgs or 0.3.0");
        b.generation = v;
      } else if (arg == "--token") {
        tokens.push_back({v, false, {}});
      } else if (arg == "--expired-token") {
        tokens.push_back({v, true, {}});
      } else if (arg == "--org") {
        auto eq = v.find('=');
        std::int64_t id =
            eq == std::string::npos ? static_cast<std::int64_t>(orgs.size()) + 1 : std::stoll(v.substr(eq + 1));
        orgs.push_back({id, v.substr(0, eq)});
      } else if (arg == "--cluster-create-delay") {
        b.cluster_create_ms = millis(v);
      } else if (arg == "--cluster-delete-delay") {
        b.cluster_delete_ms = millis(v);
      } else if (arg == "--helm-delay") {
        b.helm_ready_ms = millis(v);
      } else if (arg == "--release-delay") {
        b.release_ready_ms = millis(v);
      } else if (arg == "--lb-pending") {
        b.lb_pending_ms = millis(v);
      } else if (arg == "--kubeconfig-file") {
        std::ifstream f(v);
        if (!f) return usage_error("cannot read " + v);
        std::stringstream text;
        text << f.rdbuf();
        sg::testing::pipeline_api::apply(b, {{"kubeconfig", text.str()}});
      } else if (arg == "--kubeconfig-format") {
        sg::testing::pipeline_api::apply(b, {{"kubeconfig_format", v}});
      } else if (arg == "--stuck-cluster") {
        b.stuck_clusters.push_back(v);
      } else if (arg == "--fail-release") {
        auto eq = v.find('=');
        b.failed_releases[v.substr(0, eq)] = eq == std::string::npos ? "hook failed" : v.substr(eq + 1);
      } else if (arg == "--config") {
        sg::testing::pipeline_api::apply(b, nlohmann::json::parse(v));
      } else {
        return usage_error("unknown flag " + arg);
      }
    }
  } catch (const std::exception& e) {
    return usage_error(e.what());
  }
  if (!tokens.empty()) b.tokens = tokens;
  if (!orgs.empty()) b.orgs = orgs;

  // Only this thread takes the signals; the server's threads inherit the mask.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  try {
    Server server(options);
    std::cout << "pipeline-api-server: listening on " << server.url() << "; endpoint " << server.endpoint() << " ("
              << b.generation << " API)" << std::endl;
    if (!port_file.empty()) {
      auto tmp = port_file + ".tmp";
      std::ofstream(tmp) << server.port() << "\n";
      std::filesystem::rename(tmp, port_file);
    }
    int sig = 0;
    sigwait(&stop, &sig);
    auto requests = server.requests();
    auto violations = server.violations();
    std::cerr << "pipeline-api-server: stopping on signal " << sig << "; " << requests.size() << " requests, "
              << violations.size() << " contract violations\n";
    for (const auto& v : violations)
      std::cerr << "  violation: " << v << "\n";
    return fail_on_violations && !violations.empty() ? 3 : 0;
  } catch (const std::exception& e) {
    std::cerr << "pipeline-api-server: " << e.what() << "\n";
    return 1;
  }
}
