#include "http/client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <exception>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "log/redactor.hpp"
#include "util/base64.hpp"
#include "util/file.hpp"
#include "util/line_buffer.hpp"
#include "util/strings.hpp"

namespace sg::http {

namespace {
// Set once at start-up from the settings, read by every client built after.
std::atomic<std::size_t> g_max_body_bytes{kDefaultMaxBodyBytes};
}  // namespace

std::size_t default_max_body_bytes() {
  return g_max_body_bytes.load(std::memory_order_relaxed);
}

void set_default_max_body_bytes(std::size_t bytes) {
  g_max_body_bytes.store(bytes, std::memory_order_relaxed);
}
namespace {

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

void ensure_curl_global() {
  static CurlGlobal g;
}

bool sensitive_header(const std::string& name) {
  auto n = util::to_lower(name);
  return n == "authorization" || n == "proxy-authorization" || n == "cookie" || n == "x-api-key";
}

std::string host_of(const std::string& url) {
  auto scheme = url.find("://");
  auto start = scheme == std::string::npos ? 0 : scheme + 3;
  auto end = url.find_first_of("/?#", start);
  return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

enum class Overflow { None, Body, Line, Headers };

struct Transfer {
  const std::function<bool(std::string_view)>* on_line = nullptr;
  std::size_t max_body = default_max_body_bytes();
  std::size_t max_line = default_max_line_bytes;
  std::size_t line_len = 0;  // bytes of the stream's current, unfinished line
  std::size_t header_bytes = 0;
  bool split_long_lines = false;
  Overflow overflow = Overflow::None;
  std::exception_ptr callback_error;  // thrown by on_line; must not cross curl's C frames
  const CancelToken* cancel = nullptr;
  Response* response = nullptr;
  util::LineBuffer lines;
  bool stopped_by_callback = false;
  bool* body_started = nullptr;
  long status = 0;
  CURL* curl = nullptr;
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  // curl bounds one header line, not how many come: a peer could send
  // headers until the deadline.
  t->header_bytes += line.size();
  if (t->header_bytes > max_header_bytes) {
    t->overflow = Overflow::Headers;
    return 0;
  }
  if (line.starts_with("HTTP/")) {
    // A new status line (after a redirect or 100-continue) starts over.
    t->response->headers.clear();
    return size * n;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    t->response->headers.emplace(util::to_lower(line.substr(0, colon)), util::trim(line.substr(colon + 1)));
  }
  return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view chunk(data, size * n);
  if (t->status == 0) curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->status);
  bool success = t->status >= 200 && t->status < 300;
  if (!t->on_line || !success) {
    if (chunk.size() > t->max_body - std::min(t->max_body, t->response->body.size())) {
      t->overflow = Overflow::Body;
      return 0;  // makes curl abort the transfer
    }
    t->response->body.append(chunk);
    return size * n;
  }
  *t->body_started = true;
  // curl hands over at most CURL_MAX_WRITE_SIZE (16 KiB) at a time, so
  // counting from the chunk's last newline bounds what the line buffer holds.
  auto nl = chunk.rfind('\n');
  t->line_len = nl == std::string_view::npos ? t->line_len + chunk.size() : chunk.size() - nl - 1;
  if (t->line_len > t->max_line && !t->split_long_lines) {
    t->overflow = Overflow::Line;
    return 0;
  }
  try {
    bool more = t->lines.feed(chunk, *t->on_line);
    if (more && t->line_len > t->max_line) {
      // The unfinished line goes out as a piece of its own.
      more = t->lines.finish(*t->on_line);
      t->line_len = 0;
    }
    if (!more) {
      t->stopped_by_callback = true;
      return 0;  // makes curl abort the transfer
    }
  } catch (...) {
    t->callback_error = std::current_exception();
    return 0;
  }
  return size * n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  return t->cancel && t->cancel->cancelled() ? 1 : 0;
}

Deadline earliest(const Deadline& a, const Deadline& b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

void set_blob(CURL* c, CURLoption opt, const std::string& pem) {
  curl_blob blob{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY};
  curl_easy_setopt(c, opt, &blob);
}

std::string seconds_text(std::chrono::milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

constexpr std::string_view kNotTls = " (the server did not answer in TLS; it may speak plain HTTP)";

// scheme://host:port of a URL, for hints.
std::string origin_of(const std::string& url) {
  auto u = url_for_message(url);
  auto scheme = u.find("://");
  auto end = u.find_first_of("/?#", scheme == std::string::npos ? 0 : scheme + 3);
  return end == std::string::npos ? u : u.substr(0, end);
}

}  // namespace

std::string url_for_message(const std::string& url) {
  auto scheme = url.find("://");
  auto start = scheme == std::string::npos ? 0 : scheme + 3;
  auto end = url.find_first_of("/?#", start);
  auto at = url.rfind('@', end == std::string::npos ? std::string::npos : end);
  if (at == std::string::npos || at < start) return url;
  return url.substr(0, start) + url.substr(at + 1);
}

std::string size_text(std::size_t bytes) {
  constexpr std::size_t mib = std::size_t{1} << 20;
  if (bytes >= mib && bytes % mib == 0) return std::to_string(bytes / mib) + " MiB";
  if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB";
  return std::to_string(bytes) + " bytes";
}

struct Client::Handle {
  CURL* curl = nullptr;
  Handle() : curl(curl_easy_init()) {}
  ~Handle() {
    if (curl) curl_easy_cleanup(curl);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
};

std::string Response::header(const std::string& name) const {
  auto it = headers.find(util::to_lower(name));
  return it == headers.end() ? std::string{} : it->second;
}

bool TransportError::timed_out() const {
  return curl_code_ == CURLE_OPERATION_TIMEDOUT;
}

std::string load_pem(const std::string& value, const std::string& what) {
  if (value.find("-----BEGIN") != std::string::npos) return value;
  auto trimmed = util::trim(value);
  bool looks_like_path = trimmed.find('/') != std::string::npos && trimmed.find('\n') == std::string::npos &&
                         trimmed.find(' ') == std::string::npos;
  if (!looks_like_path || trimmed.size() > 200) {
    if (auto decoded = util::base64_decode(trimmed); decoded && decoded->find("-----BEGIN") != std::string::npos) {
      return *decoded;
    }
  }
  // A CA bundle is a few hundred KiB at most; a path to /dev/zero or a
  // huge file must not take all memory before it is found not to be PEM.
  constexpr std::size_t kMaxPemFileBytes = std::size_t{4} << 20;
  auto file = util::read_file_capped(trimmed, kMaxPemFileBytes);
  if (file.status == util::FileRead::Status::CannotOpen) {
    throw Error(what + " is neither PEM, base64-encoded PEM, nor a readable file" +
                    (looks_like_path ? " (cannot open " + trimmed + ")" : ""),
                "pass the PEM text, its base64 encoding, or a path to the file");
  }
  // A directory or a failed read holds no PEM; that is what is reported.
  auto content = file.status == util::FileRead::Status::IsDirectory || file.status == util::FileRead::Status::ReadError
                     ? std::string()
                     : std::move(file.text);
  if (file.status == util::FileRead::Status::TooLarge) {
    throw Error(
        what + " names a file larger than " + size_text(kMaxPemFileBytes) + "; that is not a certificate or key",
        "pass the PEM text, its base64 encoding, or a path to the PEM file");
  }
  if (content.find("-----BEGIN") == std::string::npos) {
    if (auto decoded = util::base64_decode(content); decoded && decoded->find("-----BEGIN") != std::string::npos) {
      return *decoded;
    }
    throw Error(what + " file " + trimmed + " does not contain PEM data", "expected -----BEGIN ...----- blocks");
  }
  return content;
}

Client::Client(Options options) : options_(std::move(options)) {
  ensure_curl_global();
  if (!options_.tls.ca.empty()) ca_pem_ = load_pem(options_.tls.ca, "the CA certificate");
  if (!options_.tls.client_cert.empty()) cert_pem_ = load_pem(options_.tls.client_cert, "the client certificate");
  if (!options_.tls.client_key.empty()) {
    key_pem_ = load_pem(options_.tls.client_key, "the client key");
    log::redactor().add_secret(key_pem_);
  }
  if (!options_.tls.verify) {
    spdlog::warn(
        "TLS VERIFICATION IS OFF: the server's identity is not checked, so anyone on the network path can read "
        "and change this traffic, credentials included. Provide the CA certificate instead.");
  }
}

Client::~Client() = default;

std::unique_ptr<Client::Handle> Client::acquire() {
  {
    std::lock_guard lock(pool_mu_);
    if (!pool_.empty()) {
      auto h = std::move(pool_.back());
      pool_.pop_back();
      // reset keeps the connection and TLS session caches: reuse is what
      // makes back-to-back API calls cheap.
      curl_easy_reset(h->curl);
      return h;
    }
  }
  return std::make_unique<Handle>();
}

void Client::release(std::unique_ptr<Handle> h) {
  std::lock_guard lock(pool_mu_);
  if (pool_.size() < 8) pool_.push_back(std::move(h));
}

Response Client::perform_once(Handle& h, const Request& req, const std::function<bool(std::string_view)>* on_line,
                              bool& body_started, const AttemptBudget& budget) {
  CURL* c = h.curl;
  Response resp;
  Transfer t;
  t.on_line = on_line;
  t.cancel = options_.cancel;
  t.response = &resp;
  t.body_started = &body_started;
  t.curl = c;
  t.max_body = req.max_body_bytes.value_or(options_.max_body_bytes);
  t.max_line = options_.max_line_bytes;
  t.split_long_lines = req.split_long_lines;

  std::string url = req.url;
  curl_slist* connect_to = nullptr;
  if (!options_.tls.server_name.empty()) {
    // Verify against tls-server-name while still connecting to the URL's host.
    auto hostport = host_of(req.url);
    auto colon = hostport.rfind(':');
    std::string host = colon == std::string::npos ? hostport : hostport.substr(0, colon);
    std::string port = colon == std::string::npos ? "443" : hostport.substr(colon + 1);
    std::string mapping = options_.tls.server_name + ":" + port + ":" + host + ":" + port;
    connect_to = curl_slist_append(connect_to, mapping.c_str());
    url = util::replace_all(url, hostport, options_.tls.server_name + ":" + port);
    curl_easy_setopt(c, CURLOPT_CONNECT_TO, connect_to);
  }

  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(budget.connect.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(budget.total.count()));
  // A declared length over the cap fails before any of the body is read.
  if (!on_line) curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(t.max_body));
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  char errbuf[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);

  auto method = util::to_upper(req.method);
  if (method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  if (!req.body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  }

  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, options_.tls.verify ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, options_.tls.verify ? 2L : 0L);
  if (!ca_pem_.empty()) set_blob(c, CURLOPT_CAINFO_BLOB, ca_pem_);
  if (!cert_pem_.empty()) {
    set_blob(c, CURLOPT_SSLCERT_BLOB, cert_pem_);
    curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
  }
  if (!key_pem_.empty()) {
    set_blob(c, CURLOPT_SSLKEY_BLOB, key_pem_);
    curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
  }

  curl_slist* headers = nullptr;
  bool has_expect = false;
  for (const auto& [k, v] : req.headers) {
    headers = curl_slist_append(headers, (k + ": " + v).c_str());
    if (util::iequals(k, "expect")) has_expect = true;
  }
  // curl's default "Expect: 100-continue" adds a round trip to every large POST.
  if (!has_expect) headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);

  if (spdlog::should_log(spdlog::level::trace)) {
    std::string hs;
    for (const auto& [k, v] : req.headers)
      hs += "\n  " + k + ": " + (sensitive_header(k) ? "<redacted>" : v);
    spdlog::trace("http {} {}{}", method, url_for_message(req.url), hs);
  }
  auto started = std::chrono::steady_clock::now();
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  curl_slist_free_all(connect_to);
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);

  if (t.callback_error) std::rethrow_exception(t.callback_error);
  if (rc == CURLE_ABORTED_BY_CALLBACK && options_.cancel && options_.cancel->cancelled()) {
    throw Cancelled(options_.cancel->exit_code());
  }
  if (rc == CURLE_WRITE_ERROR && t.stopped_by_callback) rc = CURLE_OK;
  auto shown = url_for_message(req.url);
  if (t.overflow != Overflow::None || rc == CURLE_FILESIZE_EXCEEDED) {
    bool line = t.overflow == Overflow::Line;
    bool head = t.overflow == Overflow::Headers;
    auto limit = head ? max_header_bytes : line ? t.max_line : t.max_body;
    std::string what = head   ? "response headers larger than the " + size_text(limit) + " limit"
                       : line ? "a line longer than the " + size_text(limit) + " limit"
                              : "a response body larger than the " + size_text(limit) + " limit";
    // The header cap is fixed: no real server comes near it.
    std::string raise = options_.size_setting.empty() || head
                            ? std::string()
                            : "if it really sends this much, raise " + options_.size_setting + " (now " +
                                  size_text(limit) + "); otherwise ";
    throw ResponseTooLarge(method + " " + shown + ": the server sent " + what + "; it was dropped unread",
                           raise + "check that " + origin_of(req.url) + " is the server it should be", limit);
  }
  if (rc != CURLE_OK) {
    std::string detail = log::peer_text(errbuf[0] ? std::string_view(errbuf) : curl_easy_strerror(rc), 200);
    std::string hint;
    if (detail.find("wrong version number") != std::string::npos ||
        detail.find("packet length too long") != std::string::npos) {
      // What OpenSSL says when the first bytes back are not a TLS record.
      detail += kNotTls;
      hint = "check the port and scheme of " + origin_of(req.url) + ": an https:// URL needs a TLS endpoint";
    } else if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
               rc == CURLE_SSL_CONNECT_ERROR) {
      hint = "check the CA certificate and server name; only as a last resort turn TLS verification off";
    } else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST) {
      hint = "check the server address and that it is reachable from this step";
    } else if (rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_WEIRD_SERVER_REPLY || rc == CURLE_RECV_ERROR ||
               rc == CURLE_GOT_NOTHING) {
      if (rc == CURLE_UNSUPPORTED_PROTOCOL) detail += " (the answer is not HTTP)";
      hint = "check that " + origin_of(req.url) + " is the HTTP server it should be";
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
      hint = "the server did not answer in time; raise the timeout or check its health";
    }
    throw TransportError(method + " " + shown + " failed: " + detail, rc, hint);
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  if (on_line && resp.ok() && !t.stopped_by_callback) t.lines.finish(*on_line);
  spdlog::debug("http {} {} -> {} in {} ms", method, shown, resp.status, elapsed.count());
  return resp;
}

Response Client::run(const Request& req, const std::function<bool(std::string_view)>* on_line) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  using clock = std::chrono::steady_clock;
  bool idempotent = req.idempotent.value_or(idempotent_method(req.method));
  auto deadline = earliest(options_.deadline, req.deadline);
  auto started = clock::now();
  // Names the limit and what was tried, so "it took N seconds" is explained.
  auto deadline_exceeded = [&](int attempts, const std::string& last) {
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - started);
    std::string text = util::to_upper(req.method) + " " + url_for_message(req.url) +
                       ": no answer before the time limit ran out (" + std::to_string(attempts) +
                       (attempts == 1 ? " attempt" : " attempts") + " in " + seconds_text(took) + ")";
    if (!last.empty()) text += "; last error: " + last;
    return DeadlineExceeded(text, CURLE_OPERATION_TIMEDOUT,
                            "raise " + options_.deadline_setting + " if " + origin_of(req.url) +
                                " is just slow; otherwise check that it is the right address and healthy");
  };
  std::string last_error;
  for (int attempt = 1;; ++attempt) {
    if (options_.cancel) options_.cancel->throw_if_cancelled();
    auto budget =
        attempt_budget(req.timeout.value_or(options_.total_timeout), options_.connect_timeout, deadline, clock::now());
    if (!budget) throw deadline_exceeded(attempt - 1, last_error);
    auto h = acquire();
    bool body_started = false;
    Attempt a;
    a.number = attempt;
    a.idempotent = idempotent;
    std::optional<Response> resp;
    std::optional<TransportError> failure;
    try {
      resp = perform_once(*h, req, on_line, body_started, *budget);
      a.status = resp->status;
      a.retry_after = resp->header("retry-after");
    } catch (const TransportError& e) {
      failure = e;
      a.transport_error = true;
    }
    release(std::move(h));
    if (failure && failure->timed_out() && (budget->cut_by_deadline || (deadline && clock::now() >= *deadline))) {
      throw deadline_exceeded(attempt, {});
    }
    if (failure) last_error = failure->what();
    // The same server answers the same way again: a certificate that does
    // not verify, a peer that does not speak HTTP or TLS.
    bool same_again = failure && (failure->curl_code() == CURLE_PEER_FAILED_VERIFICATION ||
                                  failure->curl_code() == CURLE_UNSUPPORTED_PROTOCOL ||
                                  last_error.find(kNotTls) != std::string::npos);
    // Once a stream has delivered data, replaying it would duplicate lines;
    // the caller resumes from what it saw (resourceVersion, sinceTime).
    std::optional<std::chrono::milliseconds> delay;
    if (req.retry && !body_started && !same_again) delay = retry_delay(options_.retry, a, rng);
    if (delay && !retry_fits(*delay, deadline, clock::now())) {
      spdlog::debug("not retrying {} {}: the time limit leaves no room for another attempt", req.method,
                    url_for_message(req.url));
      delay.reset();
    }
    if (!delay) {
      if (failure) throw *failure;
      return *resp;
    }
    spdlog::debug("retrying {} {} in {} ms (attempt {} of {}: {})", req.method, url_for_message(req.url),
                  delay->count(), attempt + 1, options_.retry.max_attempts,
                  failure ? std::string(failure->what()) : "HTTP " + std::to_string(a.status));
    if (options_.cancel) {
      if (!options_.cancel->sleep_for(*delay)) throw Cancelled(options_.cancel->exit_code());
    } else {
      std::this_thread::sleep_for(*delay);
    }
  }
}

Response Client::send(const Request& request) {
  return run(request, nullptr);
}

Response Client::stream_lines(const Request& request, const std::function<bool(std::string_view)>& on_line) {
  return run(request, &on_line);
}

}  // namespace sg::http
