#pragma once
// libgit2's init/shutdown are reference-counted; pairing them in a scope frees
// its global state instead of leaking it until exit (LeakSanitizer notices).
#include <git2.h>

namespace sg::ci {

class Libgit2Scope {
 public:
  Libgit2Scope() { git_libgit2_init(); }
  ~Libgit2Scope() { git_libgit2_shutdown(); }
  Libgit2Scope(const Libgit2Scope&) = delete;
  Libgit2Scope& operator=(const Libgit2Scope&) = delete;
};

}  // namespace sg::ci
