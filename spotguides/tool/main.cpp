#include "cli.hpp"

int main(int argc, char** argv) {
  return sg::spotguide::run_cli({argv + 1, argv + argc});
}
