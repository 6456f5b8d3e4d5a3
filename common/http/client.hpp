#pragma once
// The one HTTP client of the suite, on libcurl. TLS verification is on unless
// a caller turns it off explicitly (and then it warns loudly); timeouts are
// always set; idempotent requests are retried with backoff and jitter on
// transport errors, 429 and 5xx; every wait observes cancellation.
#include <chrono>
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

struct Options {
  TlsOptions tls;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{60'000};
  RetryPolicy retry;
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
                        bool& body_started);
  Response run(const Request& request, const std::function<bool(std::string_view)>* on_line);

  Options options_;
  std::string ca_pem_, cert_pem_, key_pem_;
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Handle>> pool_;
};

}  // namespace sg::http
