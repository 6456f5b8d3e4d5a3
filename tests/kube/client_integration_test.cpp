// The Kubernetes client against the real control plane (kube-apiserver,
// controller-manager, scheduler, etcd, kwok nodes) from scripts/testenv.
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "kube/client.hpp"
#include "kube/logs.hpp"
#include "kube/wait.hpp"
#include "kube/watch.hpp"
#include "kube_env.hpp"
#include "log/redactor.hpp"
#include "util/base64.hpp"
#include "util/process.hpp"

namespace sg::testing {
using kube::json;
namespace res = kube::resources;

namespace {

json configmap(const std::string& name, json data) {
  return {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}}}, {"data", std::move(data)}};
}

}  // namespace

TEST(KubeClient, ServerReportsItsRealVersion) {
  auto c = KubeEnv::get().admin();
  auto v = json::parse(c.get_text("/version"));
  EXPECT_EQ(v["gitVersion"], KubeEnv::get().value("SPOTGUIDE_KUBE_VERSION"));
  EXPECT_EQ(v["major"], "1");
}

TEST(KubeClient, CrudWithPaginationAndPatches) {
  ScopedNamespace ns("sg-crud");
  auto c = KubeEnv::get().admin();
  for (int i = 0; i < 7; ++i)
    c.create(res::configmaps, ns.name(), configmap("cm-" + std::to_string(i), {{"i", std::to_string(i)}}));
  auto page = c.list(res::configmaps, ns.name(), {.label_selector = "", .limit = 3});
  int ours = 0;
  for (const auto& item : page.items)
    ours += item["metadata"]["name"].get<std::string>().starts_with("cm-");
  EXPECT_EQ(ours, 7);  // every page was fetched
  EXPECT_FALSE(page.resource_version.empty());

  auto got = c.get(res::configmaps, ns.name(), "cm-1");
  EXPECT_EQ(got["data"]["i"], "1");
  got["data"]["extra"] = "x";
  auto replaced = c.replace(res::configmaps, ns.name(), "cm-1", got);
  EXPECT_EQ(replaced["data"]["extra"], "x");

  // A replace with a stale resourceVersion is a conflict.
  try {
    c.replace(res::configmaps, ns.name(), "cm-1", got);
    FAIL() << "stale replace succeeded";
  } catch (const kube::ApiError& e) {
    EXPECT_TRUE(e.conflict()) << e.what();
  }

  auto merged = c.patch(res::configmaps, ns.name(), "cm-1", {{"data", {{"m", "1"}}}}, kube::PatchType::Merge);
  EXPECT_EQ(merged["data"]["m"], "1");
  auto strategic = c.patch(res::configmaps, ns.name(), "cm-1", {{"data", {{"s", "2"}}}}, kube::PatchType::Strategic);
  EXPECT_EQ(strategic["data"]["s"], "2");
  auto jp = c.patch(res::configmaps, ns.name(), "cm-1", json::array({{{"op", "remove"}, {"path", "/data/extra"}}}),
                    kube::PatchType::Json);
  EXPECT_FALSE(jp["data"].contains("extra"));

  EXPECT_TRUE(c.remove(res::configmaps, ns.name(), "cm-1"));
  EXPECT_FALSE(c.remove(res::configmaps, ns.name(), "cm-1"));
  EXPECT_FALSE(c.try_get(res::configmaps, ns.name(), "cm-1").has_value());
  try {
    c.get(res::configmaps, ns.name(), "cm-1");
    FAIL();
  } catch (const kube::ApiError& e) {
    EXPECT_TRUE(e.not_found());
    EXPECT_NE(std::string(e.what()).find("configmaps \"cm-1\" in namespace \"" + ns.name() + "\""), std::string::npos);
  }
  try {
    c.create(res::configmaps, ns.name(), configmap("cm-2", {}));
    FAIL();
  } catch (const kube::ApiError& e) {
    EXPECT_TRUE(e.already_exists());
  }
}

TEST(KubeClient, InvalidObjectsReportFieldCauses) {
  ScopedNamespace ns("sg-invalid");
  auto c = KubeEnv::get().admin();
  try {
    c.create(res::configmaps, ns.name(), configmap("Not_Valid", {}));
    FAIL();
  } catch (const kube::ApiError& e) {
    EXPECT_TRUE(e.invalid()) << e.what();
    ASSERT_FALSE(e.causes().empty());
    EXPECT_EQ(e.causes()[0].field, "metadata.name");
  }
}

TEST(KubeClient, ServerSideApplyConflictsAndForce) {
  ScopedNamespace ns("sg-ssa");
  auto c = KubeEnv::get().admin();
  auto obj = configmap("applied", {{"owner", "a"}});
  auto first = c.apply(res::configmaps, ns.name(), obj, "manager-a");
  EXPECT_EQ(first["data"]["owner"], "a");
  auto theirs = configmap("applied", {{"owner", "b"}});
  try {
    c.apply(res::configmaps, ns.name(), theirs, "manager-b");
    FAIL() << "conflicting apply succeeded";
  } catch (const kube::ApiError& e) {
    EXPECT_TRUE(e.conflict()) << e.what();
    EXPECT_NE(std::string(e.what()).find("manager-a"), std::string::npos) << e.what();
  }
  auto forced = c.apply(res::configmaps, ns.name(), theirs, "manager-b", true);
  EXPECT_EQ(forced["data"]["owner"], "b");
}

TEST(KubeClient, RbacDenialNamesVerbAndResource) {
  const auto& env = KubeEnv::get();
  auto c = env.limited();
  // The limited account may list pods in its namespace...
  EXPECT_NO_THROW(c.list(res::pods, env.limited_namespace()));
  // ...but not secrets.
  try {
    c.list(res::secrets, env.limited_namespace());
    FAIL() << "the limited account listed secrets";
  } catch (const kube::ApiError& e) {
    EXPECT_TRUE(e.forbidden());
    std::string msg = e.what();
    EXPECT_NE(msg.find("list secrets in namespace \"" + env.limited_namespace() + "\""), std::string::npos) << msg;
    EXPECT_NE(msg.find("cannot list resource \"secrets\""), std::string::npos) << msg;
    EXPECT_NE(e.hint().find("RoleBinding"), std::string::npos);
  }
}

TEST(KubeClient, ExecCredentialPluginTokenAndCertificate) {
  const auto& env = KubeEnv::get();
  auto admin_cfg = kube::load_kubeconfig_files({env.admin_kubeconfig()});
  auto limited_cfg = kube::load_kubeconfig_files({env.limited_kubeconfig()});
  auto dir = std::filesystem::temp_directory_path() / ("sg-exec-it-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto counter = dir / "runs";

  // Token flavour: the plugin hands out the limited account's token.
  auto token_script = dir / "token-plugin";
  std::ofstream(token_script)
      << "#!/bin/sh\necho run >> '" << counter.string() << "'\n"
      << "echo '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
         "\"status\":{\"token\":\""
      << limited_cfg.token << "\"}}'\n";
  std::filesystem::permissions(token_script, std::filesystem::perms::owner_all);
  kube::Config cfg = admin_cfg;
  cfg.client_cert_pem.clear();
  cfg.client_key_pem.clear();
  cfg.exec = kube::ExecConfig{.command = token_script.string()};
  kube::Client via_token(cfg);
  EXPECT_NO_THROW(via_token.list(res::pods, env.limited_namespace()));
  EXPECT_NO_THROW(via_token.list(res::pods, env.limited_namespace()));
  EXPECT_THROW(via_token.list(res::secrets, env.limited_namespace()), kube::ApiError);

  // Certificate flavour: the plugin returns the admin client certificate.
  auto cert_script = dir / "cert-plugin";
  json cred = {
      {"apiVersion", "client.authentication.k8s.io/v1"},
      {"kind", "ExecCredential"},
      {"status", {{"clientCertificateData", admin_cfg.client_cert_pem}, {"clientKeyData", admin_cfg.client_key_pem}}}};
  std::ofstream(dir / "cred.json") << cred.dump();
  std::ofstream(cert_script) << "#!/bin/sh\ncat '" << (dir / "cred.json").string() << "'\n";
  std::filesystem::permissions(cert_script, std::filesystem::perms::owner_all);
  cfg.exec = kube::ExecConfig{.command = cert_script.string()};
  kube::Client via_cert(cfg);
  EXPECT_NO_THROW(via_cert.list(res::secrets, env.limited_namespace()));

  std::ifstream runs(counter);
  int n = 0;
  std::string line;
  while (std::getline(runs, line))
    ++n;
  EXPECT_EQ(n, 1) << "a credential without expiry must be cached";
  std::filesystem::remove_all(dir);
}

// A resourceVersion older than etcd's compaction: the API server answers
// the watch with an ERROR event carrying 410 inside a 200 stream; the
// watcher lists again and turns the state into events. PodTemplates bypass
// the watch cache in the test environment, so etcd itself decides.
TEST(KubeClient, ExpiredResourceVersionIsRelistedNotLost) {
  ScopedNamespace ns("sg-gone");
  auto c = KubeEnv::get().admin();
  auto old_rv = c.list(res::podtemplates, ns.name()).resource_version;
  for (int i = 0; i < 3; ++i) {
    c.create(res::podtemplates, ns.name(),
             {{"apiVersion", "v1"},
              {"kind", "PodTemplate"},
              {"metadata", {{"name", "pt-" + std::to_string(i)}}},
              {"template", {{"spec", {{"containers", {{{"name", "c"}, {"image", "busybox"}}}}}}}}});
  }
  // Compact etcd up to its current revision, as a busy cluster eventually does.
  auto env = util::current_environment();
  env["ETCDCTL_API"] = "3";
  auto endpoint = "--endpoints=" + KubeEnv::get().value("SPOTGUIDE_KUBE_ETCD_ENDPOINT");
  auto status = util::run_process({"etcdctl", endpoint, "endpoint", "status", "-w", "json"}, env);
  ASSERT_EQ(status.exit_code, 0) << status.err;
  auto revision = json::parse(status.out)[0]["Status"]["header"]["revision"].get<std::int64_t>();
  auto compact = util::run_process({"etcdctl", endpoint, "compact", std::to_string(revision)}, env);
  ASSERT_EQ(compact.exit_code, 0) << compact.err;
  kube::Watcher w(c, res::podtemplates, ns.name(), {.resource_version = old_rv});
  std::set<std::string> seen;
  w.run(
      [&](const kube::WatchEvent& e) {
        if (e.type == "ADDED") seen.insert(e.object["metadata"]["name"].get<std::string>());
        return seen.size() < 3;
      },
      std::chrono::steady_clock::now() + std::chrono::seconds(30));
  EXPECT_EQ(seen, (std::set<std::string>{"pt-0", "pt-1", "pt-2"}));
  EXPECT_EQ(w.relists(), 1);
}

// Stops and restarts kube-apiserver while a watch runs: the watcher must
// resume from its resourceVersion and deliver every change exactly once.
TEST(KubeClient, WatchSurvivesApiServerRestart) {
  ScopedNamespace ns("sg-restart");
  auto c = KubeEnv::get().admin();
  std::vector<std::string> events;
  std::mutex mu;
  std::atomic<bool> done{false};
  std::atomic<bool> synced{false};
  kube::Watcher w(c, res::configmaps, ns.name(), {.server_timeout = std::chrono::seconds(30)});
  std::thread watcher([&] {
    w.run(
        [&](const kube::WatchEvent& e) {
          auto name = e.object["metadata"]["name"].get<std::string>();
          if (!name.starts_with("w-")) return true;
          std::lock_guard lock(mu);
          events.push_back(e.type + " " + name);
          return !(e.type == "DELETED" && name == "w-2");
        },
        std::chrono::steady_clock::now() + std::chrono::seconds(120),
        [&] {
          synced = true;
          return true;
        });
    done = true;
  });
  // w-1 and w-2 are created only after the initial list, so seeing them
  // proves the watch stream is open before the restart; otherwise a slow
  // (sanitizer) build can open its first stream on the new apiserver and
  // never have to reconnect.
  for (int i = 0; i < 300 && !synced; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(synced);
  auto wait_events = [&](std::size_t n) {
    for (int i = 0; i < 300 && !done; ++i) {
      {
        std::lock_guard lock(mu);
        if (events.size() >= n) return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  };
  c.create(res::configmaps, ns.name(), configmap("w-1", {{"v", "1"}}));
  c.create(res::configmaps, ns.name(), configmap("w-2", {{"v", "1"}}));
  wait_events(2);
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(events.size(), 2U);
  }
  ASSERT_EQ(KubeEnv::testenv("restart apiserver"), 0);
  c.create(res::configmaps, ns.name(), configmap("w-3", {{"v", "1"}}));
  c.patch(res::configmaps, ns.name(), "w-1", {{"data", {{"v", "2"}}}}, kube::PatchType::Merge);
  c.remove(res::configmaps, ns.name(), "w-2");
  watcher.join();
  EXPECT_EQ(events, (std::vector<std::string>{"ADDED w-1", "ADDED w-2", "ADDED w-3", "MODIFIED w-1", "DELETED w-2"}));
  EXPECT_GE(w.reconnects(), 1);
}

TEST(KubeClient, WaitForJobCompletionAndForegroundDelete) {
  ScopedNamespace ns("sg-job");
  auto c = KubeEnv::get().admin();
  auto job = json::parse(R"({
    "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "quick"},
    "spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never",
      "containers": [{"name": "main", "image": "busybox", "command": ["true"]}]}}}})");
  c.create(res::jobs, ns.name(), job);
  auto done = kube::wait_for(c, res::jobs, ns.name(), "quick", kube::conditions::job_finished(),
                             std::chrono::seconds(60), "job completion");
  EXPECT_EQ(done["status"]["succeeded"], 1);
  EXPECT_TRUE(c.remove(res::jobs, ns.name(), "quick", kube::Propagation::Foreground));
  kube::wait_for(c, res::jobs, ns.name(), "quick", kube::conditions::deleted(), std::chrono::seconds(60),
                 "job deletion");
  // Foreground propagation: the job is gone only after its pods.
  EXPECT_TRUE(c.list(res::pods, ns.name(), {.label_selector = "job-name=quick"}).items.empty());
}

TEST(KubeClient, WaitTimesOutWithTheLastState) {
  ScopedNamespace ns("sg-timeout");
  auto c = KubeEnv::get().admin();
  try {
    kube::wait_for(c, res::jobs, ns.name(), "never", kube::conditions::job_finished(), std::chrono::seconds(2),
                   "job completion");
    FAIL();
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("timed out after 2s waiting for job completion of jobs \"never\""), std::string::npos) << msg;
    EXPECT_NE(msg.find("does not exist yet"), std::string::npos) << msg;
  }
}

// The run's time limit given to the client ends a watch that has nothing to
// report and every later request; a cleanup then gets a limit of its own.
TEST(KubeClient, TheClientDeadlineEndsAWatchAndLaterRequests) {
  ScopedNamespace ns("sg-deadline");
  auto c = KubeEnv::get().admin();
  auto idle = configmap("idle", {{"k", "v"}});
  idle["metadata"]["labels"] = {{"sg-test", "idle"}};
  c.create(res::configmaps, ns.name(), idle);
  auto start = std::chrono::steady_clock::now();
  c.set_deadline(start + std::chrono::seconds(2));
  // The selector leaves out the namespace's kube-root-ca.crt.
  kube::Watcher w(c, res::configmaps, ns.name(), {.label_selector = "sg-test=idle"});
  int events = 0;
  auto end = w.run([&](const kube::WatchEvent&) {
    ++events;
    return true;
  });
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(end, kube::WatchEnd::Deadline);
  EXPECT_EQ(events, 1);  // the initial ADDED
  EXPECT_GE(took, std::chrono::milliseconds(1900));
  EXPECT_LT(took, std::chrono::seconds(4));
  EXPECT_THROW(c.get(res::configmaps, ns.name(), "idle"), http::DeadlineExceeded);
  c.set_deadline(std::chrono::steady_clock::now() + std::chrono::seconds(10));
  EXPECT_TRUE(c.remove(res::configmaps, ns.name(), "idle"));
  c.set_deadline(std::nullopt);
}

// A pod that writes a line every 250 ms; the API server restarts while its
// log is followed. Every line arrives exactly once, in order.
TEST(KubeClient, LogFollowSurvivesAStreamDrop) {
  ScopedNamespace ns("sg-logs");
  auto c = KubeEnv::get().admin();
  std::string lines;
  for (int i = 1; i <= 30; ++i)
    lines += "line " + std::to_string(i) + "\n";
  c.create(res::pods, ns.name(),
           {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata",
             {{"name", "talker"},
              {"annotations",
               {{"spotguide.test/log-lines", lines},
                {"spotguide.test/log-interval-ms", "250"},
                {"spotguide.test/run-seconds", "8"},
                {"spotguide.test/exit-code", "3"}}}}},
            {"spec", {{"restartPolicy", "Never"}, {"containers", {{{"name", "main"}, {"image", "busybox"}}}}}}});
  std::vector<std::string> got;
  std::mutex mu;
  std::thread restarter([&] {
    for (int i = 0; i < 100; ++i) {
      {
        std::lock_guard lock(mu);
        if (got.size() >= 5) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    KubeEnv::testenv("restart apiserver");
  });
  auto end = kube::follow_logs(c, ns.name(), "talker",
                               [&](std::string_view line) {
                                 std::lock_guard lock(mu);
                                 got.emplace_back(line);
                                 return true;
                               },
                               {.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90)});
  restarter.join();
  EXPECT_EQ(end, kube::LogEnd::ContainerTerminated);
  std::vector<std::string> want;
  for (int i = 1; i <= 30; ++i)
    want.push_back("line " + std::to_string(i));
  EXPECT_EQ(got, want);
  auto pod = kube::wait_for(c, res::pods, ns.name(), "talker", kube::conditions::pod_phase({"Succeeded", "Failed"}),
                            std::chrono::seconds(30), "pod completion");
  EXPECT_EQ(pod["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"], 3);
}

}  // namespace sg::testing
