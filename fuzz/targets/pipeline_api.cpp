// The Pipeline API replies pipeline-client reads: the first byte picks the
// reply (an error body, GET /orgs, the kubeconfig, the releases, the
// endpoints, a cluster's details, a create's status and body), the rest is
// its body. Unparsable or oddly shaped bodies are answers too ("not the
// expected shape"); the one accepted refusal is util::JsonError from an
// organization of the wrong shape. Anything else escaping is a bug, and so
// is a server message that still holds a raw newline (it could start a fake
// log line).
#include <string>

#include "api.hpp"
#include "fuzz_input.hpp"
#include "util/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace pc = sg::pipeline_client;
  sg::fuzz::Input in(data, size);
  auto reply = in.choice();
  try {
    switch (reply % 7) {
      case 0: {
        auto m = pc::server_message(in.rest());
        if (m.find('\n') != std::string::npos || m.find('\r') != std::string::npos) __builtin_trap();
        break;
      }
      case 1: {
        auto wanted = std::string(in.until('\n'));
        auto orgs = pc::parse_reply(in.rest());
        if (auto org = pc::find_org(orgs, wanted); !org) (void)pc::org_names(orgs);
        break;
      }
      case 2: {
        std::string why;
        auto kubeconfig = pc::decode_kubeconfig(in.rest(), &why);
        if (!kubeconfig && why.empty()) __builtin_trap();
        if (kubeconfig) (void)pc::kubeconfig_secrets(*kubeconfig);
        break;
      }
      case 3: {
        auto name = std::string(in.until('\n'));
        if (auto r = pc::find_release(pc::parse_reply(in.rest()), name)) (void)pc::judge_release(r->status);
        break;
      }
      case 4: {
        auto release = std::string(in.until('\n'));
        (void)pc::parse_endpoints(pc::parse_reply(in.rest()), release);
        break;
      }
      case 5:
        (void)pc::read_cluster_details(pc::parse_reply(in.rest()));
        break;
      default: {
        static constexpr long kStatuses[] = {200, 201, 202, 400, 404, 409, 500, 503};
        (void)pc::create_outcome(kStatuses[(reply >> 3) % 8], in.rest());
        break;
      }
    }
  } catch (const sg::util::JsonError&) {
  }
  return 0;
}
