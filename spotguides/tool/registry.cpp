#include "registry.hpp"

#include <map>

// The plugins this build has; CMake defines SPOTGUIDE_WITH_<PLUGIN> for each.
#ifdef SPOTGUIDE_WITH_K8S_PROXY
#include "k8s-proxy/settings.hpp"
#endif
#ifdef SPOTGUIDE_WITH_KAFKA_REBALANCE
#include "kafka-rebalance/settings.hpp"
#endif
#ifdef SPOTGUIDE_WITH_SPARK_SUBMIT
#include "spark-submit/settings.hpp"
#endif
#ifdef SPOTGUIDE_WITH_PIPELINE_CLIENT
#include "pipeline-client/settings.hpp"
#endif
#ifdef SPOTGUIDE_WITH_TIDB_SCALE
#include "tidb-scale/settings.hpp"
#endif

namespace sg::spotguide {
namespace {

using SchemaFn = const settings::Schema& (*)();

const std::map<std::string, SchemaFn, std::less<>>& schemas() {
  static const std::map<std::string, SchemaFn, std::less<>> m = {
#ifdef SPOTGUIDE_WITH_K8S_PROXY
      {"k8s-proxy", &k8s_proxy::schema},
#endif
#ifdef SPOTGUIDE_WITH_KAFKA_REBALANCE
      {"kafka-rebalance", &kafka_rebalance::schema},
#endif
#ifdef SPOTGUIDE_WITH_SPARK_SUBMIT
      {"spark-submit", &spark_submit::schema},
#endif
#ifdef SPOTGUIDE_WITH_PIPELINE_CLIENT
      {"pipeline-client", &pipeline_client::schema},
#endif
#ifdef SPOTGUIDE_WITH_TIDB_SCALE
      {"tidb-scale", &tidb_scale::schema},
#endif
  };
  return m;
}

// Banzai's names, including the ones the images had before their 2018
// renames (shared/notes/banzai-plugins.md, section 1).
const std::map<std::string, std::string, std::less<>>& banzai_images() {
  static const std::map<std::string, std::string, std::less<>> m = {
      {"banzaicloud/plugin-k8s-proxy", "k8s-proxy"},
      {"banzaicloud/drone-plugin-k8s-client", "k8s-proxy"},
      {"banzaicloud/drone-plugin-k8s-proxy", "k8s-proxy"},
      {"banzaicloud/plugin-spark-submit-k8s", "spark-submit"},
      {"banzaicloud/drone-plugin-spark-submit-k8s", "spark-submit"},
      {"banzaicloud/plugin-pipeline-client", "pipeline-client"},
      {"banzaicloud/drone-plugin-pipeline-client", "pipeline-client"},
  };
  return m;
}

const std::vector<std::string>& all_plugins() {
  static const std::vector<std::string> v = {"k8s-proxy", "kafka-rebalance", "spark-submit", "pipeline-client",
                                             "tidb-scale"};
  return v;
}

// "registry:5000/org/name:tag@sha256:…" -> "registry:5000/org/name"
std::string repository(std::string_view image) {
  std::string s(image);
  if (auto at = s.find('@'); at != std::string::npos) s.resize(at);
  auto slash = s.rfind('/');
  if (auto colon = s.rfind(':'); colon != std::string::npos && (slash == std::string::npos || colon > slash))
    s.resize(colon);
  // Docker Hub's implicit prefixes.
  for (std::string_view prefix : {"docker.io/library/", "docker.io/", "index.docker.io/"}) {
    if (s.starts_with(prefix)) s.erase(0, prefix.size());
  }
  return s;
}

bool is_ours(std::string_view name) {
  for (const auto& p : all_plugins()) {
    if (p == name) return true;
  }
  return false;
}

}  // namespace

std::optional<KnownImage> identify_image(std::string_view image) {
  auto repo = repository(image);
  if (auto it = banzai_images().find(repo); it != banzai_images().end()) return KnownImage{it->second, true};
  auto slash = repo.rfind('/');
  std::string base = slash == std::string::npos ? repo : repo.substr(slash + 1);
  if (!is_ours(base)) return std::nullopt;
  if (slash == std::string::npos) return KnownImage{base, false};  // a bare executable name
  std::string parent = repo.substr(0, slash);
  auto pslash = parent.rfind('/');
  std::string org = pslash == std::string::npos ? parent : parent.substr(pslash + 1);
  // Our images, or an executable path as Woodpecker's local backend runs it.
  if (org == "spotguide-plugins" || repo.starts_with("/") || repo.starts_with("./")) return KnownImage{base, false};
  return std::nullopt;
}

const settings::Schema* plugin_schema(std::string_view plugin) {
  auto it = schemas().find(plugin);
  return it == schemas().end() ? nullptr : &it->second();
}

std::vector<std::string> plugin_names() {
  return all_plugins();
}

}  // namespace sg::spotguide
