#include "workspace.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "dotenv.hpp"
#include "runtime/error.hpp"
#include "yaml/bounded.hpp"

namespace sg::pipeline_client::workspace {

std::string kubeconfig_path(const std::string& workspace) {
  return (std::filesystem::path(workspace) / ".kube" / "config").string();
}

std::string dotenv_path(const std::string& workspace) {
  return (std::filesystem::path(workspace) / ".env").string();
}

std::string read_text(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return "";
  try {
    // The workspace is the repository's: its .env may be anything, a link
    // to /dev/zero included. The one capped reader stops past the limit.
    return yaml::read_file(path, kMaxWorkspaceFileBytes,
                           "pipeline-client reads and merges the workspace's .env and kubeconfig; remove or shrink it");
  } catch (const yaml::YamlError& e) {
    throw Error(e.what(), "the file is in the build's workspace; check what wrote it");
  }
}

void write_atomic(const std::string& path, const std::string& content, mode_t mode, bool keep_mode) {
  const std::string hint = "check that the workspace exists and is writable by this step (setting path)";
  std::filesystem::path p(path);
  std::error_code ec;
  if (p.has_parent_path()) {
    std::filesystem::create_directories(p.parent_path(), ec);
    if (ec) throw Error("cannot create directory " + p.parent_path().string() + ": " + ec.message(), hint);
  }
  struct stat st {};
  if (keep_mode && ::stat(path.c_str(), &st) == 0) mode = st.st_mode & 07777;
  std::string tmp = path + ".pipeline-client.tmp";
  ::unlink(tmp.c_str());
  // 0600 from the first byte: the content may be a credential.
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw Error("cannot write " + path + ": " + std::strerror(errno), hint);
  std::string_view data = content;
  bool ok = true;
  while (!data.empty() && ok) {
    auto n = ::write(fd, data.data(), data.size());
    ok = n > 0;
    if (ok) data.remove_prefix(static_cast<std::size_t>(n));
  }
  ok = ok && ::fchmod(fd, mode) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw Error("cannot write " + path + ": " + err, hint);
  }
}

bool share(const std::string& workspace, const std::map<std::string, std::string>& shared) {
  auto path = dotenv_path(workspace);
  auto before = read_text(path);
  auto after = dotenv::merge(before, shared);
  if (after == before) return false;
  write_atomic(path, after, 0644, true);
  return true;
}

}  // namespace sg::pipeline_client::workspace
