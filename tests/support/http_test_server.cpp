#include "http_test_server.hpp"

#include <cstdlib>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <thread>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>

namespace sg::testing {

struct HttpTestServer::Impl {
  Handler handler;
  bool tls = false;
  mutable std::mutex mu;
  std::vector<ReceivedRequest> requests;
  std::unique_ptr<Poco::Net::ServerSocket> socket;
  std::unique_ptr<Poco::Net::HTTPServer> server;
};

namespace {

class RequestHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit RequestHandler(HttpTestServer::Impl* impl) : impl_(impl) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
    ReceivedRequest r;
    r.method = req.getMethod();
    r.uri = req.getURI();
    for (const auto& [k, v] : req)
      r.headers[k] = v;
    Poco::StreamCopier::copyToString(req.stream(), r.body);
    {
      std::lock_guard lock(impl_->mu);
      impl_->requests.push_back(r);
    }
    Reply reply = impl_->handler(r);
    resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status));
    for (const auto& [k, v] : reply.headers)
      resp.set(k, v);
    if (reply.stream) {
      resp.setChunkedTransferEncoding(true);
      auto& out = resp.send();
      try {
        reply.stream(out);
      } catch (const std::exception&) {
        // The client went away mid-stream; nothing to do.
      }
      return;
    }
    resp.setContentLength(static_cast<std::streamsize>(reply.body.size()));
    resp.send() << reply.body;
  }

 private:
  HttpTestServer::Impl* impl_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(HttpTestServer::Impl* impl) : impl_(impl) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new RequestHandler(impl_);
  }

 private:
  HttpTestServer::Impl* impl_;
};

}  // namespace

HttpTestServer::HttpTestServer(Handler handler, const TlsFiles* tls) : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  Poco::Net::SocketAddress addr("127.0.0.1", 0);
  if (tls) {
    impl_->tls = true;
    auto mode = tls->client_ca.empty() ? Poco::Net::Context::VERIFY_NONE : Poco::Net::Context::VERIFY_STRICT;
    Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, tls->key, tls->cert,
                                                         tls->client_ca.empty() ? "" : tls->client_ca, mode);
    // OpenSSL refuses client-verified handshakes without a session id context.
    ctx->enableSessionCache(true, "sg-test-server");
    // Poco would also match a client certificate against the client's host
    // name, which is not how client-certificate auth works.
    ctx->enableExtendedCertificateVerification(false);
    impl_->socket = std::make_unique<Poco::Net::SecureServerSocket>(addr, 64, ctx);
  } else {
    impl_->socket = std::make_unique<Poco::Net::ServerSocket>(addr);
  }
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(8);
  params->setKeepAlive(true);
  impl_->server = std::make_unique<Poco::Net::HTTPServer>(new Factory(impl_.get()), *impl_->socket, params);
  impl_->server->start();
}

HttpTestServer::~HttpTestServer() {
  impl_->server->stopAll(true);
  // stopAll() aborts sockets but does not join handler threads; a handler
  // still sleeping (a test of client timeouts) would otherwise run on into
  // static destruction at exit. Wait for them, bounded.
  for (int i = 0; i < 200 && impl_->server->currentConnections() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

int HttpTestServer::port() const {
  return impl_->socket->address().port();
}

std::string HttpTestServer::url() const {
  return std::string(impl_->tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port());
}

std::vector<ReceivedRequest> HttpTestServer::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->requests;
}

GeneratedPki generate_pki(const std::string& server_names) {
  static std::mt19937_64 rng{std::random_device{}()};
  GeneratedPki p;
  p.dir = (std::filesystem::temp_directory_path() / ("sg-pki-" + std::to_string(rng()))).string();
  std::filesystem::create_directories(p.dir);
  p.ca_cert = p.dir + "/ca.crt";
  p.ca_key = p.dir + "/ca.key";
  p.server_cert = p.dir + "/server.crt";
  p.server_key = p.dir + "/server.key";
  p.client_cert = p.dir + "/client.crt";
  p.client_key = p.dir + "/client.key";
  auto run = [](const std::string& cmd) {
    if (std::system((cmd + " >/dev/null 2>&1").c_str()) != 0) throw std::runtime_error("openssl failed: " + cmd);
  };
  const auto& d = p.dir;
  run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=sg-test-ca "
      "-keyout " +
      p.ca_key + " -out " + p.ca_cert);
  for (const auto& [name, cn, ext] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"server", "sg-test-server", "subjectAltName=" + server_names},
           {"client", "sg-test-client", "extendedKeyUsage=clientAuth"}}) {
    run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=" + cn + " -keyout " + d + "/" +
        name + ".key -out " + d + "/" + name + ".csr");
    std::string extfile = d + "/" + name + ".ext";
    run("sh -c 'echo \"" + ext + "\" > " + extfile + "'");
    run("openssl x509 -req -days 2 -in " + d + "/" + name + ".csr -CA " + p.ca_cert + " -CAkey " + p.ca_key +
        " -CAcreateserial -extfile " + extfile + " -out " + d + "/" + name + ".crt");
  }
  return p;
}

}  // namespace sg::testing
