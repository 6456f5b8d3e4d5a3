// The HTTP client against a real local HTTP(S) server: retries, Retry-After,
// streaming, cancellation, timeouts and every TLS input form.
#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "http/client.hpp"
#include "http_test_server.hpp"
#include "util/base64.hpp"

namespace sg::testing {
using namespace std::chrono_literals;

namespace {

http::Options fast_retries() {
  http::Options o;
  o.retry.initial_backoff = 20ms;
  o.retry.max_backoff = 100ms;
  o.cancel = nullptr;
  return o;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

TEST(HttpClient, RetriesIdempotentRequestsOn5xxThenSucceeds) {
  std::atomic<int> calls{0};
  HttpTestServer server([&](const ReceivedRequest&) {
    return ++calls < 3 ? Reply{.status = 503, .body = "busy"} : Reply{.status = 200, .body = "ok"};
  });
  http::Client c(fast_retries());
  auto r = c.send({.url = server.url() + "/x"});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok");
  EXPECT_EQ(calls.load(), 3);
}

TEST(HttpClient, NeverRetriesAPost) {
  std::atomic<int> calls{0};
  HttpTestServer server([&](const ReceivedRequest&) {
    ++calls;
    return Reply{.status = 500};
  });
  http::Client c(fast_retries());
  auto r = c.send({.method = "POST", .url = server.url(), .body = "{}"});
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(calls.load(), 1);
}

TEST(HttpClient, HonoursRetryAfterOn429) {
  std::atomic<int> calls{0};
  HttpTestServer server([&](const ReceivedRequest&) {
    return ++calls == 1 ? Reply{.status = 429, .headers = {{"Retry-After", "1"}}} : Reply{.status = 200};
  });
  http::Client c(fast_retries());
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(c.send({.url = server.url()}).status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 900ms);
}

TEST(HttpClient, GivesUpAfterMaxAttempts) {
  std::atomic<int> calls{0};
  HttpTestServer server([&](const ReceivedRequest&) {
    ++calls;
    return Reply{.status = 502};
  });
  auto o = fast_retries();
  o.retry.max_attempts = 3;
  http::Client c(o);
  EXPECT_EQ(c.send({.url = server.url()}).status, 502);
  EXPECT_EQ(calls.load(), 3);
}

TEST(HttpClient, ConnectionRefusedIsATransportErrorWithHint) {
  auto o = fast_retries();
  o.retry.max_attempts = 2;
  http::Client c(o);
  try {
    c.send({.url = "http://127.0.0.1:9/"});
    FAIL();
  } catch (const http::TransportError& e) {
    EXPECT_NE(std::string(e.what()).find("GET http://127.0.0.1:9/ failed"), std::string::npos);
    EXPECT_NE(e.hint().find("reachable"), std::string::npos);
  }
}

TEST(HttpClient, TotalTimeout) {
  HttpTestServer server([&](const ReceivedRequest&) {
    std::this_thread::sleep_for(3s);
    return Reply{};
  });
  auto o = fast_retries();
  o.retry.max_attempts = 1;
  http::Client c(o);
  try {
    c.send({.url = server.url(), .timeout = 300ms});
    FAIL();
  } catch (const http::TransportError& e) {
    EXPECT_TRUE(e.timed_out());
  }
}

TEST(HttpClient, StreamsLinesAsTheyArrive) {
  HttpTestServer server([&](const ReceivedRequest&) {
    Reply r;
    r.stream = [](std::ostream& out) {
      out << "one\ntw" << std::flush;
      std::this_thread::sleep_for(50ms);
      out << "o\r\nthree" << std::flush;
    };
    return r;
  });
  http::Client c(fast_retries());
  std::vector<std::string> lines;
  auto r = c.stream_lines({.url = server.url()}, [&](std::string_view l) {
    lines.emplace_back(l);
    return true;
  });
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(lines, (std::vector<std::string>{"one", "two", "three"}));
}

TEST(HttpClient, StreamErrorsReturnTheBody) {
  HttpTestServer server([&](const ReceivedRequest&) { return Reply{.status = 400, .body = "container is waiting"}; });
  http::Client c(fast_retries());
  int lines = 0;
  auto r = c.stream_lines({.url = server.url()}, [&](std::string_view) { return ++lines > 0; });
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "container is waiting");
  EXPECT_EQ(lines, 0);
}

TEST(HttpClient, CancellationInterruptsAnIdleStream) {
  std::atomic<bool> stop_server{false};
  HttpTestServer server([&](const ReceivedRequest&) {
    Reply r;
    r.stream = [&](std::ostream& out) {
      out << "hello\n" << std::flush;
      for (int i = 0; i < 100 && !stop_server; ++i)
        std::this_thread::sleep_for(100ms);
    };
    return r;
  });
  CancelToken token;
  auto o = fast_retries();
  o.cancel = &token;
  http::Client c(o);
  std::thread canceller([&] {
    std::this_thread::sleep_for(300ms);
    token.cancel(SIGTERM);
  });
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(c.stream_lines({.url = server.url(), .timeout = 0ms}, [](std::string_view) { return true; }), Cancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  stop_server = true;
  canceller.join();
}

TEST(HttpClient, CancellationInterruptsBackoff) {
  HttpTestServer server([&](const ReceivedRequest&) { return Reply{.status = 503}; });
  CancelToken token;
  auto o = fast_retries();
  o.retry.initial_backoff = 10s;
  o.retry.max_backoff = 10s;
  o.cancel = &token;
  http::Client c(o);
  std::thread canceller([&] {
    std::this_thread::sleep_for(200ms);
    token.cancel(SIGINT);
  });
  auto start = std::chrono::steady_clock::now();
  try {
    c.send({.url = server.url()});
    FAIL();
  } catch (const Cancelled& e) {
    EXPECT_EQ(e.exit_code(), 130);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  canceller.join();
}

TEST(HttpClient, ABodyOverTheCapIsDroppedNamingTheLimitAndSetting) {
  HttpTestServer server([&](const ReceivedRequest&) { return Reply{.body = std::string(4096, 'x')}; });
  auto o = fast_retries();
  o.max_body_bytes = 1000;
  o.size_setting = "PLUGIN_MAX_RESPONSE_MIB";
  http::Client c(o);
  try {
    c.send({.url = server.url() + "/big"});
    FAIL();
  } catch (const http::ResponseTooLarge& e) {
    EXPECT_EQ(e.limit(), 1000u);
    std::string what = e.what();
    EXPECT_NE(what.find("GET " + server.url() + "/big"), std::string::npos) << what;
    EXPECT_NE(what.find("1000 bytes"), std::string::npos) << what;
    EXPECT_NE(e.hint().find("raise PLUGIN_MAX_RESPONSE_MIB"), std::string::npos) << e.hint();
  }
  // Not retried: the same server sends the same body again.
  EXPECT_EQ(server.requests().size(), 1u);
  // A request may raise the cap for itself.
  EXPECT_EQ(c.send({.url = server.url(), .max_body_bytes = 8192}).body.size(), 4096u);
}

TEST(HttpClient, AChunkedBodyOverTheCapIsCutOffWhileArriving) {
  HttpTestServer server([&](const ReceivedRequest&) {
    Reply r;
    r.stream = [](std::ostream& out) {
      std::string chunk(16 * 1024, 'y');
      for (int i = 0; i < 64 && out; ++i)
        out << chunk << std::flush;
    };
    return r;
  });
  auto o = fast_retries();
  o.max_body_bytes = 100 * 1024;
  http::Client c(o);
  EXPECT_THROW(c.send({.url = server.url()}), http::ResponseTooLarge);
}

TEST(HttpClient, AStreamLineOverTheCapFailsTheStream) {
  HttpTestServer server([&](const ReceivedRequest&) {
    Reply r;
    r.stream = [](std::ostream& out) { out << "short\n" << std::string(64 * 1024, 'z') << std::flush; };
    return r;
  });
  auto o = fast_retries();
  o.max_line_bytes = 32 * 1024;
  http::Client c(o);
  std::vector<std::string> lines;
  try {
    c.stream_lines({.url = server.url()}, [&](std::string_view l) {
      lines.emplace_back(l);
      return true;
    });
    FAIL();
  } catch (const http::ResponseTooLarge& e) {
    EXPECT_NE(std::string(e.what()).find("a line longer than the 32 KiB limit"), std::string::npos) << e.what();
  }
  EXPECT_EQ(lines, std::vector<std::string>{"short"});
}

TEST(HttpClient, ALongLineCanBeDeliveredInPiecesInstead) {
  HttpTestServer server([&](const ReceivedRequest&) {
    Reply r;
    r.stream = [](std::ostream& out) { out << "short\n" << std::string(100 * 1024, 'z') << "\nend\n" << std::flush; };
    return r;
  });
  auto o = fast_retries();
  o.max_line_bytes = 32 * 1024;
  http::Client c(o);
  std::vector<std::string> lines;
  auto r = c.stream_lines({.url = server.url(), .split_long_lines = true}, [&](std::string_view l) {
    lines.emplace_back(l);
    return true;
  });
  EXPECT_EQ(r.status, 200);
  ASSERT_GE(lines.size(), 5u);
  EXPECT_EQ(lines.front(), "short");
  EXPECT_EQ(lines.back(), "end");
  std::size_t total = 0;
  for (std::size_t i = 1; i + 1 < lines.size(); ++i) {
    EXPECT_LE(lines[i].size(), 48u * 1024) << i;
    EXPECT_EQ(lines[i].find_first_not_of('z'), std::string::npos) << i;
    total += lines[i].size();
  }
  EXPECT_EQ(total, 100u * 1024);
}

TEST(HttpClient, TheDeadlineBoundsAllAttemptsOfASlowServer) {
  std::atomic<bool> stop{false};
  HttpTestServer server([&](const ReceivedRequest&) {
    for (int i = 0; i < 30 && !stop; ++i)
      std::this_thread::sleep_for(100ms);
    return Reply{};
  });
  auto o = fast_retries();
  o.total_timeout = 1s;  // 4 attempts would take 4 s without the deadline
  o.deadline = std::chrono::steady_clock::now() + 1500ms;
  o.deadline_setting = "PLUGIN_TIMEOUT";
  http::Client c(o);
  auto start = std::chrono::steady_clock::now();
  try {
    c.send({.url = server.url()});
    FAIL();
  } catch (const http::DeadlineExceeded& e) {
    EXPECT_TRUE(e.timed_out());
    EXPECT_NE(std::string(e.what()).find("no answer before the time limit ran out (2 attempts"), std::string::npos)
        << e.what();
    EXPECT_NE(e.hint().find("raise PLUGIN_TIMEOUT"), std::string::npos) << e.hint();
  }
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 1400ms);
  EXPECT_LT(took, 2200ms);
  // Past the deadline nothing is sent at all.
  auto sent = server.requests().size();
  EXPECT_THROW(c.send({.url = server.url()}), http::DeadlineExceeded);
  EXPECT_EQ(server.requests().size(), sent);
  stop = true;
}

TEST(HttpClient, UrlsInMessagesLoseTheirUserinfo) {
  EXPECT_EQ(http::url_for_message("https://user:pw@host:6443/api?x=1"), "https://host:6443/api?x=1");
  EXPECT_EQ(http::url_for_message("https://host/p@th"), "https://host/p@th");
  EXPECT_EQ(http::url_for_message("http://127.0.0.1:1/"), "http://127.0.0.1:1/");
  EXPECT_EQ(http::size_text(std::size_t{16} << 20), "16 MiB");
  EXPECT_EQ(http::size_text(1500), "1500 bytes");
  EXPECT_EQ(http::size_text(256 * 1024), "256 KiB");
}

class HttpTls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pki_ = new GeneratedPki(generate_pki("IP:127.0.0.1,DNS:kubernetes")); }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(pki_->dir);
    delete pki_;
  }
  static GeneratedPki* pki_;
};
GeneratedPki* HttpTls::pki_ = nullptr;

TEST_F(HttpTls, VerifiesWithTheCaAsFileInlineOrBase64) {
  TlsFiles files{pki_->server_cert, pki_->server_key, pki_->ca_cert, ""};
  HttpTestServer server([](const ReceivedRequest&) { return Reply{.body = "secure"}; }, &files);
  auto pem = slurp(pki_->ca_cert);
  for (const auto& ca : {pki_->ca_cert, pem, util::base64_encode(pem)}) {
    auto o = fast_retries();
    o.tls.ca = ca;
    http::Client c(o);
    EXPECT_EQ(c.send({.url = server.url()}).body, "secure");
  }
}

TEST_F(HttpTls, UnknownCaFailsWithAHint) {
  TlsFiles files{pki_->server_cert, pki_->server_key, pki_->ca_cert, ""};
  HttpTestServer server([](const ReceivedRequest&) { return Reply{}; }, &files);
  auto o = fast_retries();
  o.retry.max_attempts = 1;
  http::Client c(o);  // system trust store only
  try {
    c.send({.url = server.url()});
    FAIL();
  } catch (const http::TransportError& e) {
    EXPECT_NE(e.hint().find("CA certificate"), std::string::npos) << e.what();
  }
}

TEST_F(HttpTls, SkipVerifyWorksOnlyWhenAsked) {
  TlsFiles files{pki_->server_cert, pki_->server_key, pki_->ca_cert, ""};
  HttpTestServer server([](const ReceivedRequest&) { return Reply{.body = "insecure"}; }, &files);
  auto o = fast_retries();
  o.tls.verify = false;
  http::Client c(o);
  EXPECT_EQ(c.send({.url = server.url()}).body, "insecure");
}

TEST_F(HttpTls, ServerNameOverride) {
  TlsFiles files{pki_->server_cert, pki_->server_key, pki_->ca_cert, ""};
  HttpTestServer server([](const ReceivedRequest&) { return Reply{.body = "named"}; }, &files);
  auto o = fast_retries();
  o.tls.ca = pki_->ca_cert;
  o.tls.server_name = "kubernetes";
  http::Client c(o);
  // "localhost" is not in the certificate; "kubernetes" is, and verification
  // uses it while the connection still goes to the URL's address.
  EXPECT_EQ(c.send({.url = "https://localhost:" + std::to_string(server.port()) + "/"}).body, "named");
  o.tls.server_name = "wrong.example";
  o.retry.max_attempts = 1;
  http::Client bad(o);
  EXPECT_THROW(bad.send({.url = server.url()}), http::TransportError);
}

TEST_F(HttpTls, ClientCertificates) {
  TlsFiles files{pki_->server_cert, pki_->server_key, pki_->ca_cert, pki_->ca_cert};
  HttpTestServer server([](const ReceivedRequest&) { return Reply{.body = "mutual"}; }, &files);
  auto o = fast_retries();
  o.tls.ca = pki_->ca_cert;
  o.tls.client_cert = slurp(pki_->client_cert);
  o.tls.client_key = util::base64_encode(slurp(pki_->client_key));
  http::Client c(o);
  EXPECT_EQ(c.send({.url = server.url()}).body, "mutual");
  auto without = fast_retries();
  without.tls.ca = pki_->ca_cert;
  without.retry.max_attempts = 1;
  http::Client anonymous(without);
  EXPECT_THROW(anonymous.send({.url = server.url()}), http::TransportError);
}

TEST(HttpClient, BadPemInputsAreClearErrors) {
  http::Options o;
  o.tls.ca = "/nonexistent/ca.crt";
  EXPECT_THROW(http::Client{o}, Error);
  o.tls.ca = "definitely not pem";
  EXPECT_THROW(http::Client{o}, Error);
}

}  // namespace sg::testing
