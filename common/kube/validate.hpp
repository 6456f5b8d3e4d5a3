#pragma once
// Checks of the Kubernetes values a plugin's settings carry (quantities,
// object names, namespaces, image references, labels, tolerations, cluster
// access), done while the settings are resolved: a value the API server
// would reject must be exit 2 before anything is created, not a claim
// created and then a Job refused.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "settings/setting.hpp"

namespace sg::kube::validate {

// Each `*_problem` returns an empty string for a valid value, otherwise what
// is wrong, written to follow "expected" in a message.

// A non-negative resource quantity (500m, 2Gi, 1.5, 1e3) as resource.Quantity
// parses it.
std::string quantity_problem(std::string_view text);
// A DNS-1123 label: what namespaces (and Services) are named.
std::string dns_label_problem(std::string_view text);
// A DNS-1123 subdomain: what Secrets, claims, service accounts and storage
// classes are named.
std::string dns_subdomain_problem(std::string_view text);
// A container image reference: [registry[:port]/]path[:tag][@algo:hex].
std::string image_problem(std::string_view text);
// A label or annotation key ([prefix/]name) and a label value.
std::string qualified_name_problem(std::string_view text);
std::string label_value_problem(std::string_view text);
// A JSON array of tolerations with their documented fields and types; the
// problem names the entry and field (tolerations[1].operator).
std::string tolerations_problem(const nlohmann::json& tolerations);

// Schema rules: each checks the named settings when they are set and appends
// a message naming the variable, the setting and the expected form.
enum class Kind { Quantity, DnsLabel, DnsSubdomain, Image, AbsolutePath };
settings::Rule rule(Kind kind, std::vector<std::string> setting_names);
// Every item of a List setting is a DNS-1123 subdomain (image_pull_secrets).
settings::Rule subdomain_items_rule(std::string setting_name);
// A Map setting of labels (keys qualified names, values label values, no
// nested values) or of annotations (keys qualified names, scalar values).
settings::Rule labels_rule(std::string setting_name);
settings::Rule annotations_rule(std::string setting_name);
// A Map setting whose values must all be scalars (node_selector).
settings::Rule scalar_map_rule(std::string setting_name);
// A String setting holding a JSON array of tolerations; it must parse
// completely (a truncated list is not an empty one).
settings::Rule tolerations_rule(std::string setting_name);
// The access settings of kube/access.hpp: an inline kubeconfig that does not
// parse, a kube_server that is not an http(s) URL, or a CA, certificate or
// key that is not PEM, is a settings error.
settings::Rule access_rule();

// A JSON scalar as the string Kubernetes wants in a label, annotation or
// selector value (a YAML `3` arrives as a number).
std::string scalar_text(const nlohmann::json& j);

}  // namespace sg::kube::validate
