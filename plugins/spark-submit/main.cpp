#include "plugin.hpp"

int main(int argc, char** argv) {
  return sg::run_plugin(sg::spark_submit::plugin(), argc, argv);
}
