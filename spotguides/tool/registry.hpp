#pragma once
// Which plugin an image runs, and that plugin's settings schema: ours under
// any registry (…/spotguide-plugins/<plugin>), a bare executable name or path
// (Woodpecker's local backend), and Banzai's original image names.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "settings/setting.hpp"

namespace sg::spotguide {

struct KnownImage {
  std::string plugin;   // our plugin name, e.g. "k8s-proxy"
  bool banzai = false;  // one of Banzai's original images
};

std::optional<KnownImage> identify_image(std::string_view image);

// The schema of one of our plugins; nullptr when this build lacks it.
const settings::Schema* plugin_schema(std::string_view plugin);
std::vector<std::string> plugin_names();

}  // namespace sg::spotguide
