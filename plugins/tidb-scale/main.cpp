#include "plugin.hpp"

int main(int argc, char** argv) {
  return sg::run_plugin(sg::tidb_scale::plugin(), argc, argv);
}
