// Hostile HTTP peers on 127.0.0.1, met through the kube Client (the path the
// plugins use) and http::Client: garbage, a huge body, an endless drip,
// silence, plain HTTP where TLS was expected, error bodies that echo the
// bearer token, and a watch that sends half an event and stalls. Each case
// must end within its bound, with a clear error and bounded memory.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "http/client.hpp"
#include "kube/client.hpp"
#include "kube/watch.hpp"
#include "log/log.hpp"
#include "log/redactor.hpp"
#include "raw_peer.hpp"
#include "test_paths.hpp"
#include "util/base64.hpp"
#include "util/process.hpp"

namespace sg::testing {
namespace {

// A 16 MiB body is held once while it is read; 48 MiB leaves room for the
// copies around it and still proves the 400 MB the peer offers was never
// taken. AddressSanitizer's redzones and freed-memory quarantine about
// double what the same allocations cost.
#if defined(__SANITIZE_ADDRESS__)
constexpr long kBodyRssBoundMiB = 112;
#else
constexpr long kBodyRssBoundMiB = 48;
#endif

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

constexpr std::size_t kMiB = std::size_t{1} << 20;

double seconds_since(clock::time_point start) {
  return std::chrono::duration<double>(clock::now() - start).count();
}

// kB values from /proc/self/status.
long status_kb(const std::string& key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::strtol(line.c_str() + key.size() + 1, nullptr, 10);
  }
  return -1;
}

// Resets VmHWM to the current RSS, so a later VmHWM is this case's peak.
void reset_peak_rss() {
  std::ofstream("/proc/self/clear_refs") << "5";
}

kube::Client kube_client(const std::string& server, http::Deadline deadline, const std::string& token = {}) {
  kube::Config cfg;
  cfg.server = server;
  cfg.token = token;
  cfg.namespace_ = "ci";
  kube::ClientOptions o;  // the defaults: 30 s per request, 4 attempts
  o.deadline = deadline;
  o.deadline_setting = "timeout";
  o.cancel = nullptr;
  return kube::Client(cfg, o);
}

std::string chunk(std::string_view data) {
  std::ostringstream out;
  out << std::hex << data.size() << "\r\n" << data << "\r\n";
  return out.str();
}

// Sends `total` bytes of body as a chunked 200 (or `status`) response,
// counting what actually left the socket.
void send_huge_chunked(RawPeer& peer, int fd, std::size_t total, std::atomic<std::size_t>& sent, int status = 200) {
  peer.read_head(fd);
  std::string head = "HTTP/1.1 " + std::to_string(status) +
                     " X\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  if (!peer.send_all(fd, head)) return;
  std::string piece = chunk(std::string(64 * 1024, 'a'));
  for (std::size_t done = 0; done < total; done += 64 * 1024) {
    if (!peer.send_all(fd, piece)) return;
    sent += 64 * 1024;
  }
  peer.send_all(fd, "0\r\n\r\n");
}

// Redirects fd 2 (where the redacting log sink writes) to a file.
class StderrCapture {
 public:
  StderrCapture() {
    std::fflush(stderr);
    char path[] = "/tmp/sg-hostile-stderr-XXXXXX";
    int fd = ::mkstemp(path);
    path_ = path;
    saved_ = ::dup(2);
    ::dup2(fd, 2);
    ::close(fd);
  }
  ~StderrCapture() {
    restore();
    std::remove(path_.c_str());
  }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;
  std::string text() {
    restore();
    std::ifstream f(path_);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
  }
  std::string path_;
  int saved_ = -1;
};

}  // namespace

TEST(HostileHttp, GarbageInsteadOfHttpIsAClearErrorAtOnce) {
  RawPeer peer([](RawPeer& p, int fd) {
    p.read_head(fd);
    static const char garbage[] = "\x16\x03\x01garbage\x00\xff\xfe not http at all\r\n\r\n";
    p.send_all(fd, std::string_view(garbage, sizeof garbage - 1));
  });
  auto start = clock::now();
  auto kube = kube_client(peer.url(), clock::now() + 10s);
  try {
    kube.get(kube::resources::pods, "ci", "p");
    FAIL() << "garbage was accepted";
  } catch (const http::TransportError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("GET " + peer.url() + "/api/v1/namespaces/ci/pods/p failed"), std::string::npos) << what;
    EXPECT_NE(e.hint().find("is the HTTP server it should be"), std::string::npos) << e.hint();
    EXPECT_NE(what.find("the answer is not HTTP"), std::string::npos) << what;
    std::cout << "garbage: " << what << " | " << e.hint() << "\n";
  }
  EXPECT_LT(seconds_since(start), 3.0);
  EXPECT_EQ(peer.connections(), 1);  // not retried: it would answer the same

  // A well-formed response whose body is not JSON is a named error too.
  RawPeer text([](RawPeer& p, int fd) {
    p.read_head(fd);
    std::string body = "<html>\n\x1b[31mhi</html>";
    p.send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                       "\r\nConnection: close\r\n\r\n" + body);
  });
  auto kube2 = kube_client(text.url(), clock::now() + 10s);
  try {
    kube2.get(kube::resources::pods, "ci", "p");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the API server returned invalid JSON"), std::string::npos) << e.what();
    EXPECT_NE(e.hint().find("is a Kubernetes API server"), std::string::npos) << e.hint();
  }
}

TEST(HostileHttp, AHugeBodyStopsAtTheCapWithBoundedMemory) {
  std::atomic<std::size_t> sent{0};
  RawPeer peer([&](RawPeer& p, int fd) { send_huge_chunked(p, fd, 400 * kMiB, sent); });
  auto kube = kube_client(peer.url(), clock::now() + 30s);
  reset_peak_rss();
  long rss_before = status_kb("VmRSS");
  auto start = clock::now();
  try {
    kube.get(kube::resources::pods, "ci", "p");
    FAIL() << "a 400 MB body was accepted";
  } catch (const http::ResponseTooLarge& e) {
    EXPECT_EQ(e.limit(), 16 * kMiB);
    EXPECT_NE(std::string(e.what()).find("larger than the 16 MiB limit"), std::string::npos) << e.what();
    std::cout << "huge body: " << e.what() << " | " << e.hint() << "\n";
  }
  double took = seconds_since(start);
  long peak_delta_mib = (status_kb("VmHWM") - rss_before) / 1024;
  std::cout << "huge body: " << took << " s, peak RSS +" << peak_delta_mib << " MiB, peer sent " << sent.load() / kMiB
            << " MiB of 400\n";
  EXPECT_LT(took, 10.0);
  // The body is kept up to the cap (a string that may double once).
  EXPECT_LT(peak_delta_mib, kBodyRssBoundMiB);
  EXPECT_LT(sent.load(), 100 * kMiB);
  EXPECT_EQ(peer.connections(), 1);  // not retried
}

TEST(HostileHttp, AHugeErrorBodyIsCappedAndADeclaredOneIsRefusedUnread) {
  std::atomic<std::size_t> sent{0};
  RawPeer error_peer([&](RawPeer& p, int fd) { send_huge_chunked(p, fd, 400 * kMiB, sent, 500); });
  http::Options o;
  o.cancel = nullptr;
  o.size_setting = "max_response_mib";
  http::Client c(o);
  reset_peak_rss();
  long rss_before = status_kb("VmRSS");
  try {
    c.send({.url = error_peer.url() + "/api/v1/pipelines"});
    FAIL();
  } catch (const http::ResponseTooLarge& e) {
    EXPECT_NE(e.hint().find("raise max_response_mib (now 16 MiB)"), std::string::npos) << e.hint();
  }
  long peak_delta_mib = (status_kb("VmHWM") - rss_before) / 1024;
  std::cout << "huge error body: peak RSS +" << peak_delta_mib << " MiB\n";
  EXPECT_LT(peak_delta_mib, kBodyRssBoundMiB);
  EXPECT_EQ(error_peer.connections(), 1);  // a 500 is retryable, a too-large one is not

  std::atomic<std::size_t> declared_sent{0};
  RawPeer declared([&](RawPeer& p, int fd) {
    p.read_head(fd);
    if (!p.send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 419430400\r\n\r\n")) return;
    std::string piece(64 * 1024, 'b');
    for (int i = 0; i < 6400 && p.send_all(fd, piece); ++i)
      declared_sent += piece.size();
  });
  auto start = clock::now();
  EXPECT_THROW(c.send({.url = declared.url()}), http::ResponseTooLarge);
  EXPECT_LT(seconds_since(start), 2.0);
  EXPECT_LT(declared_sent.load(), 32 * kMiB);
}

TEST(HostileHttp, AnEndlessDripEndsAtTheDeadline) {
  // One byte every 100 ms: never slow enough for a stall detector, never done.
  auto drip = [](bool in_headers) {
    return [in_headers](RawPeer& p, int fd) {
      p.read_head(fd);
      p.send_all(fd, in_headers ? "HTTP/1.1 200 OK\r\nX-Drip: " : "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n");
      while (p.send_all(fd, "x") && p.idle(100ms)) {
      }
    };
  };
  for (bool in_headers : {false, true}) {
    RawPeer peer(drip(in_headers));
    auto start = clock::now();
    auto kube = kube_client(peer.url(), start + 2s);
    try {
      kube.get(kube::resources::pods, "ci", "p");
      FAIL();
    } catch (const http::DeadlineExceeded& e) {
      std::string what = e.what();
      EXPECT_NE(what.find("no answer before the time limit ran out (1 attempt in"), std::string::npos) << what;
      EXPECT_NE(e.hint().find("raise timeout"), std::string::npos) << e.hint();
      std::cout << "drip" << (in_headers ? " (headers)" : " (body)") << ": " << what << "\n";
    }
    double took = seconds_since(start);
    std::cout << "drip: " << took << " s with a 2 s deadline\n";
    EXPECT_GE(took, 1.9);
    EXPECT_LT(took, 3.0);
  }
}

TEST(HostileHttp, SilenceEndsAtTheDeadlineNotAfterRetriesTimesTheRequestTimeout) {
  RawPeer peer([](RawPeer& p, int fd) {
    p.read_head(fd);
    while (p.idle(100ms) && !RawPeer::client_gone(fd)) {
    }
  });
  auto start = clock::now();
  // 4 attempts x 30 s per request without the deadline: 120 s.
  auto kube = kube_client(peer.url(), start + 2s);
  try {
    kube.list(kube::resources::pods, "ci");
    FAIL();
  } catch (const http::DeadlineExceeded& e) {
    std::cout << "silence: " << e.what() << " | " << e.hint() << "\n";
  }
  double took = seconds_since(start);
  std::cout << "silence: " << took << " s with a 2 s deadline\n";
  EXPECT_GE(took, 1.9);
  EXPECT_LT(took, 3.0);
  EXPECT_EQ(peer.connections(), 1);

  // Shorter request timeouts retry, and every retry still fits the deadline.
  kube::Config cfg;
  cfg.server = peer.url();
  kube::ClientOptions o;
  o.request_timeout = 600ms;
  o.retry.initial_backoff = 50ms;
  o.cancel = nullptr;
  start = clock::now();
  o.deadline = start + 2500ms;
  kube::Client retrying(cfg, o);
  EXPECT_THROW(retrying.get(kube::resources::pods, "ci", "p"), http::TransportError);
  took = seconds_since(start);
  std::cout << "silence with 600 ms requests: " << took << " s, " << peer.connections() - 1 << " attempts\n";
  EXPECT_LT(took, 3.0);
  EXPECT_GE(peer.connections() - 1, 3);
  EXPECT_LE(peer.connections() - 1, 4);
}

TEST(HostileHttp, PlainHttpWhereTlsWasExpectedSaysSo) {
  RawPeer peer([](RawPeer& p, int fd) {
    // The ClientHello is binary; read whatever came, answer as a plain HTTP
    // server does.
    p.read_head(fd, 300ms);
    p.send_all(fd,
               "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"
               "Client sent an HTTP request to an HTTPS server.\n");
  });
  auto start = clock::now();
  auto kube = kube_client(peer.url("https"), start + 10s);
  try {
    kube.get(kube::resources::pods, "ci", "p");
    FAIL();
  } catch (const http::TransportError& e) {
    std::string what = e.what();
    std::cout << "plain HTTP to TLS: " << what << " | " << e.hint() << "\n";
    EXPECT_NE(what.find("the server did not answer in TLS; it may speak plain HTTP"), std::string::npos) << what;
    EXPECT_NE(e.hint().find("an https:// URL needs a TLS endpoint"), std::string::npos) << e.hint();
  }
  EXPECT_LT(seconds_since(start), 2.0);
  EXPECT_EQ(peer.connections(), 1);
}

TEST(HostileHttp, ErrorBodiesEchoingTheTokenNeverShowIt) {
  const std::string token = "sg-hostile-7c1e9a4b2d6f08e3";
  // 401: the whole request echoed as text (Authorization header included),
  // with a fake log line; 422: a Status whose message and causes quote the
  // token.
  RawPeer peer([&](RawPeer& p, int fd) {
    auto head = p.read_head(fd);
    auto auth = head.find("Authorization: Bearer ");
    std::string seen = auth == std::string::npos ? "" : head.substr(auth + 22, token.size());
    std::string body;
    std::string status;
    if (head.rfind("GET", 0) == 0) {
      status = "401 Unauthorized";
      body = "you sent:\n" + head + "\nerror: injected line with " + seen + "\n";
    } else {
      status = "422 Unprocessable Entity";
      body = R"({"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Invalid","code":422,)"
             R"("message":"ConfigMap \"c\" is invalid: token )" +
             seen +
             R"( rejected\nerror: injected","details":{"causes":[{"reason":"FieldValueInvalid",)"
             R"("field":"data.)" +
             seen + R"(","message":"Bearer )" + seen + R"("}]}})";
    }
    p.send_all(fd, "HTTP/1.1 " + status + "\r\nContent-Type: application/json\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
  });
  std::string texts;
  std::string logs;
  {
    StderrCapture capture;
    log::init("trace");
    auto kube = kube_client(peer.url(), clock::now() + 10s, token);
    try {
      kube.get(kube::resources::pods, "ci", "p");
      FAIL();
    } catch (const kube::ApiError& e) {
      EXPECT_TRUE(e.unauthorized());
      texts += std::string(e.what()) + "\n" + e.hint() + "\n";
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "a peer's newline reached the message";
      spdlog::error("{}", e.what());
    }
    try {
      kube.create(kube::resources::configmaps, "ci", {{"metadata", {{"name", "c"}}}});
      FAIL();
    } catch (const kube::ApiError& e) {
      EXPECT_TRUE(e.invalid());
      texts += std::string(e.what()) + "\n" + e.hint() + "\n";
      for (const auto& c : e.causes())
        texts += c.field + " " + c.message + "\n";
      EXPECT_NE(std::string(e.what()).find("is invalid"), std::string::npos) << e.what();
      spdlog::error("{}", e.what());
    }
    logs = capture.text();
    log::init("info");
  }
  std::cout << "echo texts:\n" << texts << "captured log:\n" << logs << "\n";
  // The peer really echoed it (else the test shows nothing).
  bool echoed = false;
  for (const auto& h : peer.heads())
    echoed = echoed || h.find("Bearer " + token) != std::string::npos;
  EXPECT_TRUE(echoed);
  EXPECT_NE(logs.find("http GET " + peer.url() + "/api/v1/namespaces/ci/pods/p"), std::string::npos) << logs;
  EXPECT_NE(texts.find(std::string(log::kMask)), std::string::npos) << texts;
  for (const auto& form : {token, util::base64_encode(token), std::string(token.substr(4, 12))}) {
    EXPECT_EQ(texts.find(form), std::string::npos) << form;
    EXPECT_EQ(logs.find(form), std::string::npos) << form;
  }
}

TEST(HostileWatch, HalfAnEventThenSilenceEndsAtTheDeadline) {
  RawPeer peer([](RawPeer& p, int fd) {
    auto head = p.read_head(fd);
    if (head.find("watch=1") == std::string::npos) {
      std::string list = R"({"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"5"},"items":[]})";
      p.send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                         std::to_string(list.size()) + "\r\n\r\n" + list);
      // Keep-alive: the next request may come on this connection.
      head = p.read_head(fd);
      if (head.find("watch=1") == std::string::npos) return;
    }
    p.send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
                       chunk(R"({"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":)"));
    while (p.idle(100ms) && !RawPeer::client_gone(fd)) {
    }
  });
  // Once by the Watcher's deadline, once by the client's own (the run's).
  for (bool client_deadline : {false, true}) {
    auto start = clock::now();
    auto kube = kube_client(peer.url(), client_deadline ? http::Deadline(start + 2s) : std::nullopt);
    kube::Watcher w(kube, kube::resources::configmaps, "ci");
    int events = 0;
    auto end = w.run(
        [&](const kube::WatchEvent&) {
          ++events;
          return true;
        },
        client_deadline ? std::nullopt : std::optional(start + 2s));
    double took = seconds_since(start);
    std::cout << "half a watch event (" << (client_deadline ? "client" : "watcher") << " deadline): " << took
              << " s with a 2 s deadline\n";
    EXPECT_EQ(end, kube::WatchEnd::Deadline);
    EXPECT_EQ(events, 0);
    EXPECT_GE(took, 1.9);
    EXPECT_LT(took, 3.0);
  }
}

}  // namespace sg::testing

namespace sg::testing {
namespace {

// Answers list requests with `list_body` and watch requests by sending what
// `watch` writes (chunked), then closing.
RawPeer::Behaviour list_then_watch(std::string list_body, std::function<std::string(int)> watch_event) {
  return [list_body = std::move(list_body), watch_event = std::move(watch_event)](RawPeer& p, int fd) {
    for (int request = 0; request < 4 && !p.stopping(); ++request) {
      auto head = p.read_head(fd);
      if (head.empty()) return;
      if (head.find("watch=1") == std::string::npos) {
        p.send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                           std::to_string(list_body.size()) + "\r\n\r\n" + list_body);
        continue;
      }
      if (!p.send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"))
        return;
      for (int i = 0; i < 100'000; ++i) {
        auto ev = watch_event(i);
        if (ev.empty() || !p.send_all(fd, chunk(ev))) break;
      }
      p.send_all(fd, "0\r\n\r\n");
      return;
    }
  };
}

const std::string kEmptyList =
    R"({"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"5"},"items":[]})";

}  // namespace

TEST(HostileWatch, EndlessNewObjectsStopAtTheObjectCap) {
  RawPeer peer(list_then_watch(kEmptyList, [](int i) {
    auto n = std::to_string(i);
    return R"({"type":"ADDED","object":{"metadata":{"name":"o)" + n + R"(","uid":"u)" + n + R"(","resourceVersion":")" +
           std::to_string(10 + i) + "\"}}}\n";
  }));
  auto start = clock::now();
  auto kube = kube_client(peer.url(), start + 10s);
  kube::Watcher w(kube, kube::resources::configmaps, "ci", {.max_objects = 500});
  int events = 0;
  try {
    w.run([&](const kube::WatchEvent&) { return ++events < 1'000'000; });
    FAIL() << "the watch accepted " << events << " objects";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("more than 500 objects"), std::string::npos) << e.what();
    EXPECT_NE(e.hint().find("selector"), std::string::npos) << e.hint();
  }
  EXPECT_EQ(events, 500);
  EXPECT_LT(seconds_since(start), 5.0);
}

TEST(HostileWatch, WrongTypedFieldsAreAMalformedEventNotACrash) {
  RawPeer peer(list_then_watch(kEmptyList, [](int i) {
    return i == 0 ? std::string(R"({"type":"ADDED","object":{"metadata":{"name":"a","uid":7}}})") + "\n"
                  : std::string();
  }));
  auto kube = kube_client(peer.url(), clock::now() + 10s);
  kube::Watcher w(kube, kube::resources::configmaps, "ci");
  try {
    w.run([](const kube::WatchEvent&) { return true; });
    FAIL();
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("malformed watch event from the API server (object.metadata.uid: expected a string"),
              std::string::npos)
        << what;
  }
}

TEST(HostileHttp, AListThatNeverEndsIsRefused) {
  // The same continue token forever, and pages that pile up.
  RawPeer same_token([](RawPeer& p, int fd) {
    while (!p.stopping()) {
      if (p.read_head(fd).empty()) return;
      std::string page =
          R"({"kind":"PodList","apiVersion":"v1","metadata":{"continue":"again"},"items":[{"metadata":{"name":"a"}}]})";
      if (!p.send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(page.size()) + "\r\n\r\n" + page))
        return;
    }
  });
  auto kube = kube_client(same_token.url(), clock::now() + 10s);
  try {
    kube.list(kube::resources::pods, "ci");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the same continue token twice"), std::string::npos) << e.what();
  }
  std::atomic<int> pages{0};
  RawPeer piling([&](RawPeer& p, int fd) {
    while (!p.stopping()) {
      if (p.read_head(fd).empty()) return;
      std::string items;
      for (int i = 0; i < 100; ++i)
        items += std::string(i ? "," : "") + R"({"metadata":{"name":"p"}})";
      std::string page = R"({"kind":"PodList","apiVersion":"v1","metadata":{"continue":"t)" + std::to_string(++pages) +
                         R"("},"items":[)" + items + "]}";
      if (!p.send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(page.size()) + "\r\n\r\n" + page))
        return;
    }
  });
  auto kube2 = kube_client(piling.url(), clock::now() + 10s);
  try {
    kube2.list(kube::resources::pods, "ci", {.limit = 100, .max_items = 1000});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("more than 1000 objects"), std::string::npos) << e.what();
  }
  EXPECT_LE(pages.load(), 12);
}

}  // namespace sg::testing

namespace sg::testing {

TEST(HostileHttp, EndlessHeadersStopAtTheHeaderCap) {
  RawPeer peer([](RawPeer& p, int fd) {
    p.read_head(fd);
    if (!p.send_all(fd, "HTTP/1.1 200 OK\r\n")) return;
    std::string batch;
    for (int i = 0; i < 1000; ++i)
      batch += "X-Filler-" + std::to_string(i) + ": " + std::string(40, 'h') + "\r\n";
    // About 60 MB of headers unless the client stops reading.
    for (int i = 0; i < 1000 && p.send_all(fd, batch); ++i) {
    }
  });
  auto start = clock::now();
  auto kube = kube_client(peer.url(), start + 10s);
  reset_peak_rss();
  long rss_before = status_kb("VmRSS");
  try {
    kube.get(kube::resources::pods, "ci", "p");
    FAIL();
  } catch (const http::ResponseTooLarge& e) {
    EXPECT_NE(std::string(e.what()).find("response headers larger than the 256 KiB limit"), std::string::npos)
        << e.what();
  }
  long peak_delta_mib = (status_kb("VmHWM") - rss_before) / 1024;
  std::cout << "endless headers: " << seconds_since(start) << " s, peak RSS +" << peak_delta_mib << " MiB\n";
  EXPECT_LT(seconds_since(start), 3.0);
  EXPECT_LT(peak_delta_mib, 16);
  EXPECT_EQ(peer.connections(), 1);
}

// The body cap is a setting every plugin has: a user whose PD (or API
// server) really answers with more raises max_response_mib, and the error
// tells them so. tidb-scale stands for all: the cap is applied before any
// plugin builds its clients.
TEST(HostileHttp, MaxResponseMibIsTheBodyCapOfEveryPlugin) {
  std::atomic<std::size_t> sent{0};
  RawPeer peer([&](RawPeer& p, int fd) { send_huge_chunked(p, fd, 3 * kMiB, sent); });
  auto run = [&](const std::string& mib) {
    return util::run_process({bin_dir() + "/tidb-scale"},
                             {{"PATH", "/usr/bin:/bin"},
                              {"PLUGIN_BACKEND", "pd"},
                              {"PLUGIN_MODE", "status"},
                              {"PLUGIN_PD_URL", peer.url()},
                              {"PLUGIN_LEADER_WAIT", "0s"},
                              {"PLUGIN_TIMEOUT", "20s"},
                              {"PLUGIN_MAX_RESPONSE_MIB", mib}},
                             std::chrono::seconds(60));
  };
  auto capped = run("1");
  EXPECT_EQ(capped.exit_code, 1) << capped.out << capped.err;
  EXPECT_NE(capped.err.find("larger than the 1 MiB limit"), std::string::npos) << capped.err;

  // Raised above what the peer sends, the body is read whole (and then is
  // not PD's JSON, which is another error).
  auto raised = run("8");
  EXPECT_EQ(raised.err.find("MiB limit"), std::string::npos) << raised.err;

  auto invalid = run("0");
  EXPECT_EQ(invalid.exit_code, 2) << invalid.err;
  EXPECT_NE(invalid.err.find("max_response_mib"), std::string::npos) << invalid.err;
}

}  // namespace sg::testing
