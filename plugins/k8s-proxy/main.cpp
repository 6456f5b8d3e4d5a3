#include "plugin.hpp"

int main(int argc, char** argv) {
  return sg::run_plugin(sg::k8s_proxy::plugin(), argc, argv);
}
