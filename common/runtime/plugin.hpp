#pragma once
// The shared plugin lifecycle: arguments, settings, logging, signals,
// outputs, exit codes. A plugin supplies a schema and an Exec function; its
// main() is one line calling sg::run_plugin.
#include <functional>
#include <string>

#include "ci/metadata.hpp"
#include "output/output.hpp"
#include "runtime/cancel.hpp"
#include "settings/resolve.hpp"
#include "settings/setting.hpp"
#include "settings/values.hpp"

namespace sg {

struct Context {
  const settings::Values& settings;
  const settings::Environment& env;
  const ci::Metadata& ci;
  output::Report& report;
  const CancelToken& cancel;
};

struct Plugin {
  settings::Schema schema;  // including the common settings
  std::function<int(Context&)> exec;
};

int run_plugin(const Plugin& plugin, int argc, char** argv);

// The version string compiled into every plugin.
const char* version();

}  // namespace sg
