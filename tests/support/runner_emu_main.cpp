// runner-emu: prints (or runs a command with) the environment a CI host
// would give one step of a pipeline file.
//   runner-emu --host drone|drone-0.8|woodpecker [--secret name=value]...
//              [--repo owner/name] [--build N] [--workspace DIR]
//              FILE STEP [-- COMMAND ARGS...]
#include <unistd.h>

#include <cstring>
#include <iostream>

#include "runner_emulator.hpp"

extern char** environ;

int main(int argc, char** argv) {
  using namespace sg::testing;
  std::map<std::string, std::string> secrets;
  Build build;
  std::string host_arg = "auto";
  std::vector<std::string> positional;
  std::vector<char*> command;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "runner-emu: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--host")
      host_arg = next();
    else if (a == "--secret") {
      auto kv = next();
      auto eq = kv.find('=');
      secrets[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
    } else if (a == "--repo") {
      auto slug = next();
      auto slash = slug.find('/');
      build.repo_owner = slug.substr(0, slash);
      build.repo_name = slash == std::string::npos ? slug : slug.substr(slash + 1);
    } else if (a == "--build")
      build.build_number = next();
    else if (a == "--workspace")
      build.workspace = next();
    else if (a == "--") {
      for (int j = i + 1; j < argc; ++j)
        command.push_back(argv[j]);
      break;
    } else
      positional.push_back(a);
  }
  if (positional.size() != 2) {
    std::cerr << "usage: runner-emu [--host drone|drone-0.8|woodpecker] [--secret k=v] FILE STEP [-- CMD...]\n";
    return 2;
  }
  YAML::Node doc = YAML::LoadFile(positional[0]);
  Host host = host_arg == "drone"        ? Host::Drone
              : host_arg == "drone-0.8"  ? Host::Drone08
              : host_arg == "woodpecker" ? Host::Woodpecker
                                         : detect_host(doc);
  for (const auto& [name, step] : pipeline_steps(doc)) {
    if (name != positional[1]) continue;
    auto se = step_environment(host, name, step, secrets, build);
    for (const auto& e : se.errors)
      std::cerr << "runner-emu: " << e << "\n";
    if (!se.errors.empty()) return 2;
    if (command.empty()) {
      for (const auto& [k, v] : se.env)
        std::cout << k << "=" << v << "\n";
      return 0;
    }
    // The step keeps the host's PATH/HOME, as a local runner would.
    for (const char* keep : {"PATH", "HOME", "TMPDIR", "KUBECONFIG"}) {
      if (const char* v = std::getenv(keep); v && !se.env.count(keep)) se.env[keep] = v;
    }
    std::vector<std::string> strings;
    for (const auto& [k, v] : se.env)
      strings.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& s : strings)
      envp.push_back(s.data());
    envp.push_back(nullptr);
    command.push_back(nullptr);
    execvpe(command[0], command.data(), envp.data());
    std::cerr << "runner-emu: cannot run " << command[0] << ": " << std::strerror(errno) << "\n";
    return 127;
  }
  std::cerr << "runner-emu: no step named " << positional[1] << " in " << positional[0] << "\n";
  return 2;
}
