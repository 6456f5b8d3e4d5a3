#pragma once
// A real HTTP(S) server on 127.0.0.1 (Poco::Net) whose responses a test
// scripts, for exercising the HTTP client's retries, streaming, TLS and
// cancellation. It stands in for no product peer.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

namespace sg::testing {

struct ReceivedRequest {
  std::string method;
  std::string uri;
  std::map<std::string, std::string> headers;
  std::string body;
};

struct Reply {
  int status = 200;
  std::map<std::string, std::string> headers;
  std::string body;
  // When set, the body is written by this function over a chunked response
  // (flush to send a chunk); `body` is ignored.
  std::function<void(std::ostream&)> stream;
};

struct TlsFiles {
  std::string cert;       // server certificate (PEM file)
  std::string key;        // server key
  std::string ca;         // CA that signed it
  std::string client_ca;  // if set, require client certificates signed by it
};

class HttpTestServer {
 public:
  using Handler = std::function<Reply(const ReceivedRequest&)>;
  explicit HttpTestServer(Handler handler, const TlsFiles* tls = nullptr);
  ~HttpTestServer();
  HttpTestServer(const HttpTestServer&) = delete;
  HttpTestServer& operator=(const HttpTestServer&) = delete;

  int port() const;
  std::string url() const;  // http(s)://127.0.0.1:port
  std::vector<ReceivedRequest> requests() const;

  struct Impl;  // public so the Poco handler classes can reach it

 private:
  std::unique_ptr<Impl> impl_;
};

// Generates a CA, a server certificate for `server_names` (SANs, e.g.
// "IP:127.0.0.1,DNS:kubernetes") and a client certificate, with openssl.
struct GeneratedPki {
  std::string dir;
  std::string ca_cert, ca_key, server_cert, server_key, client_cert, client_key;
};
GeneratedPki generate_pki(const std::string& server_names);

}  // namespace sg::testing
