#include "plugin.hpp"

int main(int argc, char** argv) {
  return sg::run_plugin(sg::pipeline_client::plugin(), argc, argv);
}
