#pragma once
// The one HTTP client of the suite, on libcurl. TLS verification is on unless
// a caller turns it off explicitly (and then it warns loudly); timeouts are
// always set; idempotent requests are retried with backoff and jitter on
// transport errors, 429 and 5xx; every wait observes cancellation.
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/retry.hpp"
#include "runtime/cancel.hpp"
#include "runtime/error.hpp"

namespace sg::http {

struct TlsOptions {
  bool verify = true;
  // Each of these is inline PEM, base64-encoded PEM, or a path to a PEM file.
  std::string ca;
  std::string client_cert;
  std::string client_key;
  std::string server_name;  // verify the certificate against this name instead of the URL host
};

using Deadline = std::optional<std::chrono::steady_clock::time_point>;

// A peer that is not what we think it is can send a body of any size; these
// caps keep a plugin's memory bounded whatever it sends. The body cap is the
// common max_response_mib setting (16 MiB unless set), which run_plugin
// applies before a plugin builds its clients; the hint names that setting.
inline constexpr std::size_t kDefaultMaxBodyBytes = std::size_t{16} << 20;
std::size_t default_max_body_bytes();
void set_default_max_body_bytes(std::size_t bytes);
inline constexpr const char* kMaxBodySetting = "max_response_mib";
inline constexpr std::size_t default_max_line_bytes = std::size_t{8} << 20;
// All header lines of one response together (below libcurl's own 300 KiB,
// so the error is this one and not retried).
inline constexpr std::size_t max_header_bytes = std::size_t{256} << 10;

struct Options {
  TlsOptions tls;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{60'000};
  RetryPolicy retry;
  // Every request of this client, retries and backoff included, ends by
  // then; each attempt's timeouts are cut to what is left.
  Deadline deadline;
  // A collected body (any response of send(), an error response of a
  // stream) longer than this fails the request.
  std::size_t max_body_bytes = default_max_body_bytes();
  // One line of a stream (a watch event, a log line) longer than this fails
  // the stream; the stream as a whole may be endless.
  std::size_t max_line_bytes = default_max_line_bytes;
  // The settings behind `deadline` and the size caps, named in the error
  // hints ("raise <setting>"): the user knows those, not these fields.
  // An empty size_setting leaves the cap out of the hint.
  std::string deadline_setting = "timeout";
  std::string size_setting = kMaxBodySetting;
  std::string user_agent = "spotguide-plugins";
  const CancelToken* cancel = &process_cancel_token();
};

struct Request {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::optional<std::chrono::milliseconds> timeout;  // 0 = no total timeout (watches)
  std::optional<bool> idempotent;                    // default from the method
  bool retry = true;
  Deadline deadline;                          // the earlier of this and Options::deadline applies
  std::optional<std::size_t> max_body_bytes;  // default Options::max_body_bytes
  // A stream line over max_line_bytes is delivered in pieces of about that
  // size instead of failing the stream (a container's log may hold a
  // line of any length; a watch event may not).
  bool split_long_lines = false;
};

struct Response {
  long status = 0;
  std::multimap<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& name) const;
  bool ok() const { return status >= 200 && status < 300; }
};

// No HTTP response at all: refused, reset, DNS, TLS, timeout.
class TransportError : public Error {
 public:
  TransportError(std::string message, int curl_code, std::string hint = {})
      : Error(std::move(message), std::move(hint)), curl_code_(curl_code) {}
  int curl_code() const { return curl_code_; }
  bool timed_out() const;

 private:
  int curl_code_;
};

// The deadline passed: no attempt started, or the last one was cut off by
// it. Never retried; a loop that retries TransportError must stop on it.
class DeadlineExceeded : public TransportError {
 public:
  DeadlineExceeded(std::string message, int curl_code, std::string hint)
      : TransportError(std::move(message), curl_code, std::move(hint)) {}
};

// The response was dropped because its body (or one line of a stream) was
// over the client's limit. Not retried: the same server sends the same.
class ResponseTooLarge : public Error {
 public:
  ResponseTooLarge(std::string message, std::string hint, std::size_t limit)
      : Error(std::move(message), std::move(hint)), limit_(limit) {}
  std::size_t limit() const { return limit_; }

 private:
  std::size_t limit_;
};

// `url` without user:password@, for messages.
std::string url_for_message(const std::string& url);
// "16 MiB", "1500 bytes".
std::string size_text(std::size_t bytes);

// Resolves a PEM given inline, base64-encoded or as a file path. `what` names
// the setting or field for the error message.
std::string load_pem(const std::string& value, const std::string& what);

class Client {
 public:
  explicit Client(Options options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends with retries; returns the final response whatever its status.
  Response send(const Request& request);

  // Streams the response body line by line (without the newline) to
  // `on_line`, which returns false to stop early. Retries only before the
  // first body byte arrived. A non-2xx response is returned with its body
  // collected instead of streamed.
  Response stream_lines(const Request& request, const std::function<bool(std::string_view)>& on_line);

  const Options& options() const { return options_; }

 private:
  struct Handle;
  std::unique_ptr<Handle> acquire();
  void release(std::unique_ptr<Handle> h);
  Response perform_once(Handle& h, const Request& request, const std::function<bool(std::string_view)>* on_line,
                        bool& body_started, const AttemptBudget& budget);
  Response run(const Request& request, const std::function<bool(std::string_view)>* on_line);

  Options options_;
  std::string ca_pem_, cert_pem_, key_pem_;
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Handle>> pool_;
};

}  // namespace sg::http
