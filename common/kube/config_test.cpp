#include "kube/config.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "util/base64.hpp"

namespace sg::kube {
namespace {

const char* kCa = "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n";

std::string two_contexts() {
  return std::string(R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: c1
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: )") +
         util::base64_encode(kCa) + R"(
- name: c2
  cluster:
    server: https://c2.example.com
    insecure-skip-tls-verify: true
    tls-server-name: kubernetes
users:
- name: u1
  user:
    token: abc
- name: u2
  user:
    username: admin
    password: pw
contexts:
- name: dev
  context: {cluster: c1, user: u1, namespace: team-a}
- name: prod
  context: {cluster: c2, user: u2}
)";
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("sg-kube-" + std::to_string(::getpid()) + "-" + std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
    return (path / name).string();
  }
};

}  // namespace

TEST(KubeConfig, CurrentContextAndOverride) {
  auto dev = parse_kubeconfig(two_contexts());
  EXPECT_EQ(dev.server, "https://10.0.0.1:6443");
  EXPECT_EQ(dev.ca_pem, kCa);
  EXPECT_EQ(dev.token, "abc");
  EXPECT_EQ(dev.namespace_, "team-a");
  EXPECT_EQ(dev.context, "dev");

  auto prod = parse_kubeconfig(two_contexts(), "prod");
  EXPECT_TRUE(prod.insecure_skip_tls_verify);
  EXPECT_EQ(prod.tls_server_name, "kubernetes");
  EXPECT_EQ(prod.username, "admin");
  EXPECT_EQ(prod.password, "pw");
  EXPECT_EQ(prod.namespace_, "default");
}

TEST(KubeConfig, UnknownContextListsTheAvailableOnes) {
  try {
    parse_kubeconfig(two_contexts(), "staging");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("context \"staging\""), std::string::npos);
    EXPECT_NE(e.hint().find("dev, prod"), std::string::npos);
  }
}

TEST(KubeConfig, InlineRawOrBase64) {
  EXPECT_EQ(kubeconfig_from_inline(two_contexts()).server, "https://10.0.0.1:6443");
  EXPECT_EQ(kubeconfig_from_inline(util::base64_encode(two_contexts()), "prod").server, "https://c2.example.com");
  EXPECT_THROW(kubeconfig_from_inline("not a kubeconfig %%%"), Error);
}

TEST(KubeConfig, FilesRelativeToTheKubeconfigAndMergedFirstWins) {
  TempDir dir;
  dir.write("ca.crt", kCa);
  dir.write("client.crt", "-----BEGIN CERTIFICATE-----\nQ0xJRU5U\n-----END CERTIFICATE-----\n");
  dir.write("client.key", "-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----\n");
  dir.write("token", "file-token\n");
  auto first = dir.write("first.yaml", R"(
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: "https://127.0.0.1:16443", certificate-authority: ca.crt}
users:
- name: cert-user
  user: {client-certificate: client.crt, client-key: client.key}
- name: file-user
  user: {tokenFile: token}
contexts:
- name: a
  context: {cluster: local, user: cert-user}
)");
  auto second = dir.write("second.yaml", R"(
apiVersion: v1
kind: Config
current-context: b
clusters:
- name: local
  cluster: {server: "https://ignored:1"}
contexts:
- name: b
  context: {cluster: local, user: file-user}
)");
  auto a = load_kubeconfig_files({first, second}, "a");
  EXPECT_EQ(a.server, "https://127.0.0.1:16443");  // first file wins for "local"
  EXPECT_EQ(a.ca_pem, kCa);
  EXPECT_NE(a.client_cert_pem.find("Q0xJRU5U"), std::string::npos);
  EXPECT_NE(a.client_key_pem.find("S0VZ"), std::string::npos);
  auto b = load_kubeconfig_files({(dir.path / "missing.yaml").string(), first, second});
  EXPECT_EQ(b.context, "b");  // current-context from the second file
  EXPECT_EQ(b.token_file, (dir.path / "token").string());
  EXPECT_THROW(load_kubeconfig_files({(dir.path / "nope").string()}), Error);
}

TEST(KubeConfig, ExecSection) {
  auto c = parse_kubeconfig(R"(
clusters: [{name: c, cluster: {server: "https://k"}}]
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./bin/cred
      args: [get, --x]
      env: [{name: A, value: "1"}]
      provideClusterInfo: true
      installHint: install cred
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
)",
                            "", "/etc/kube");
  ASSERT_TRUE(c.exec.has_value());
  EXPECT_EQ(c.exec->command, "/etc/kube/./bin/cred");
  EXPECT_EQ(c.exec->args, (std::vector<std::string>{"get", "--x"}));
  EXPECT_EQ(c.exec->env.front().first, "A");
  EXPECT_TRUE(c.exec->provide_cluster_info);
}

TEST(KubeConfig, RemovedAuthProviderGivesAClearError) {
  try {
    parse_kubeconfig(R"(
clusters: [{name: c, cluster: {server: "https://k"}}]
users: [{name: u, user: {auth-provider: {name: gcp}}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
)");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(e.hint().find("exec credential plugin"), std::string::npos);
  }
}

// Found by fuzzing: yaml-cpp throws for a key lookup on a scalar or a list,
// and each of these shapes escaped as a YAML::Exception.
TEST(KubeConfig, WrongShapesAreMissingFieldsNotCrashes) {
  const char* base = R"(
clusters: [{name: c, cluster: {server: "https://k"}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
)";
  for (const char* users : {"users: [{name: u, user: oops}]", "users: [{name: u, user: [1, 2]}]",
                            "users: [oops, {name: u, user: {token: t}}]",
                            "users: [{name: u, user: {exec: {command: c, args: [{a: b}]}}}]"}) {
    try {
      auto c = parse_kubeconfig(std::string(base) + users);
      EXPECT_TRUE(c.token.empty() || c.token == "t") << users;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("exec argument"), std::string::npos) << users << ": " << e.what();
    }
  }
}

TEST(KubeConfig, AliasBombsAndHugeFilesAreRefused) {
  std::string bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\n";
  for (char c = 'b'; c <= 'j'; ++c)
    bomb += std::string(1, c) + ": &" + c + " [*" + static_cast<char>(c - 1) + ",*" + static_cast<char>(c - 1) + ",*" +
            static_cast<char>(c - 1) + ",*" + static_cast<char>(c - 1) + ",*" + static_cast<char>(c - 1) + ",*" +
            static_cast<char>(c - 1) + ",*" + static_cast<char>(c - 1) + ",*" + static_cast<char>(c - 1) + ",*" +
            static_cast<char>(c - 1) + ",*" + static_cast<char>(c - 1) + "]\n";
  EXPECT_THROW(parse_kubeconfig(bomb), Error);
  try {
    load_kubeconfig_files({"/dev/zero"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("limit"), std::string::npos) << e.what();
  }
}

TEST(KubeConfig, InClusterReadsTheServiceAccount) {
  TempDir dir;
  dir.write("token", "sa-token");
  dir.write("ca.crt", kCa);
  dir.write("namespace", "builds\n");
  setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  auto c = in_cluster_config(dir.path.string());
  EXPECT_EQ(c.server, "https://[fd00::1]:443");
  EXPECT_EQ(c.namespace_, "builds");
  EXPECT_EQ(c.token_file, (dir.path / "token").string());
  EXPECT_TRUE(c.in_cluster);
  unsetenv("KUBERNETES_SERVICE_HOST");
  unsetenv("KUBERNETES_SERVICE_PORT");
  EXPECT_THROW(in_cluster_config(dir.path.string()), Error);
}

TEST(KubeConfig, SplitsKubeconfigEnv) {
  EXPECT_EQ(split_kubeconfig_env("/a::/b:"), (std::vector<std::string>{"/a", "/b"}));
}

}  // namespace sg::kube
