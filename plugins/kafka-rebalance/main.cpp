#include "plugin.hpp"

int main(int argc, char** argv) {
  return sg::run_plugin(sg::kafka_rebalance::plugin(), argc, argv);
}
