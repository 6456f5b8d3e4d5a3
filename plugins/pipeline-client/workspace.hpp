#pragma once
// The two files a step leaves in the workspace for the steps after it:
// <workspace>/.kube/config (the cluster's kubeconfig, mode 0600, read by
// k8s-proxy) and <workspace>/.env (the shared non-secret settings).
#include <sys/types.h>

#include <cstddef>
#include <map>
#include <string>

namespace sg::pipeline_client::workspace {

std::string kubeconfig_path(const std::string& workspace);
std::string dotenv_path(const std::string& workspace);

// The largest workspace file (.env, kubeconfig) read: both hold a few lines.
inline constexpr std::size_t kMaxWorkspaceFileBytes = std::size_t{16} << 20;

// "" when the file does not exist; an Error when it is larger than
// kMaxWorkspaceFileBytes or cannot be read.
std::string read_text(const std::string& path);

// Replaces `path` atomically (temporary file, then rename), creating its
// directory. The content is never readable by others while it is written.
// With `keep_mode`, an existing file keeps its mode (someone's own 0600
// .env must not become world-readable); otherwise it gets `mode`.
void write_atomic(const std::string& path, const std::string& content, mode_t mode, bool keep_mode);

// Rewrites the .env with `shared` (see dotenv::merge); returns false when
// there was nothing to change.
bool share(const std::string& workspace, const std::map<std::string, std::string>& shared);

}  // namespace sg::pipeline_client::workspace
