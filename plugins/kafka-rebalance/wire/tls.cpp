#include "tls.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstdint>

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>

#include "runtime/error.hpp"

namespace sg::kafka {

namespace {

int fd_of(BIO* b) {
  return static_cast<int>(reinterpret_cast<std::intptr_t>(BIO_get_data(b)));
}

// OpenSSL's own socket BIO writes with write(2), which raises SIGPIPE when
// the broker has already closed the connection and kills a process that
// does not ignore it. This BIO sends with MSG_NOSIGNAL instead; the socket
// is non-blocking and the caller polls on "retry".
int socket_write(BIO* b, const char* data, int len) {
  BIO_clear_retry_flags(b);
  auto n = ::send(fd_of(b), data, static_cast<std::size_t>(len), MSG_NOSIGNAL);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) BIO_set_retry_write(b);
    return -1;
  }
  return static_cast<int>(n);
}

int socket_read(BIO* b, char* out, int len) {
  BIO_clear_retry_flags(b);
  auto n = ::recv(fd_of(b), out, static_cast<std::size_t>(len), 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) BIO_set_retry_read(b);
    return -1;
  }
  return static_cast<int>(n);
}

long socket_ctrl(BIO*, int cmd, long, void*) {
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

int socket_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

BIO_METHOD* socket_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sg-kafka-socket");
    BIO_meth_set_write(m, socket_write);
    BIO_meth_set_read(m, socket_read);
    BIO_meth_set_ctrl(m, socket_ctrl);
    BIO_meth_set_create(m, socket_create);
    return m;
  }();
  return method;
}

// Encrypted keys are not supported; without this callback OpenSSL would
// prompt for a pass phrase on the terminal.
int no_passphrase(char*, int, int, void*) {
  return -1;
}

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};

std::unique_ptr<BIO, BioDeleter> pem_bio(const std::string& pem) {
  return std::unique_ptr<BIO, BioDeleter>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

std::string openssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no OpenSSL error recorded" : out;
}

TlsContext::TlsContext(const TlsConfig& config) : verify_(config.verify), server_name_(config.server_name) {
  ERR_clear_error();
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (ctx_ == nullptr) throw Error("cannot create a TLS context: " + openssl_errors());
  // Kafka brokers on a supported JVM all speak TLS 1.2 or 1.3.
  SSL_CTX_ctrl(ctx_, SSL_CTRL_SET_MIN_PROTO_VERSION, TLS1_2_VERSION, nullptr);
  SSL_CTX_set_mode(ctx_, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);

  try {
    if (verify_) {
      SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
      if (config.ca_pem.empty()) {
        if (SSL_CTX_set_default_verify_paths(ctx_) != 1) {
          throw Error("cannot load the system's CA certificates: " + openssl_errors(),
                      "install ca-certificates, or pass the cluster's CA certificate as PEM");
        }
      } else {
        auto bio = pem_bio(config.ca_pem);
        X509_STORE* store = SSL_CTX_get_cert_store(ctx_);
        int count = 0;
        while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr)) {
          X509_STORE_add_cert(store, cert);
          X509_free(cert);
          ++count;
        }
        ERR_clear_error();  // the loop ends on "no start line"
        if (count == 0) {
          throw Error("the TLS CA setting holds no PEM certificate",
                      "pass the CA certificate text, starting with -----BEGIN CERTIFICATE-----");
        }
      }
    } else {
      SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
      spdlog::warn(
          "TLS certificate and host name verification for Kafka brokers is OFF: the connection is encrypted but "
          "anyone in the path can impersonate the cluster");
    }

    if (!config.cert_pem.empty()) {
      auto bio = pem_bio(config.cert_pem);
      X509* leaf = PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr);
      if (leaf == nullptr) {
        throw Error("the TLS client certificate is not a PEM certificate: " + openssl_errors(),
                    "pass the certificate text, starting with -----BEGIN CERTIFICATE-----");
      }
      int ok = SSL_CTX_use_certificate(ctx_, leaf);
      X509_free(leaf);
      if (ok != 1) throw Error("cannot use the TLS client certificate: " + openssl_errors());
      // Intermediates after the leaf go into the chain sent to the broker.
      while (X509* extra = PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr)) {
        if (SSL_CTX_ctrl(ctx_, SSL_CTRL_CHAIN_CERT, 0, extra) != 1) {
          X509_free(extra);
          throw Error("cannot add an intermediate certificate to the TLS client chain: " + openssl_errors());
        }
      }
      ERR_clear_error();
    }
    if (!config.key_pem.empty()) {
      if (config.cert_pem.empty()) {
        throw Error("a TLS client key was given without a client certificate", "pass both, or neither");
      }
      auto bio = pem_bio(config.key_pem);
      EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr);
      if (key == nullptr) {
        ERR_clear_error();
        throw Error("the TLS client key is not an unencrypted PEM private key",
                    "pass the key text (-----BEGIN PRIVATE KEY-----); encrypted keys are not supported");
      }
      int ok = SSL_CTX_use_PrivateKey(ctx_, key);
      EVP_PKEY_free(key);
      if (ok != 1 || SSL_CTX_check_private_key(ctx_) != 1) {
        throw Error("the TLS client key does not match the client certificate: " + openssl_errors());
      }
    } else if (!config.cert_pem.empty()) {
      throw Error("a TLS client certificate was given without its private key", "pass both, or neither");
    }
  } catch (...) {
    SSL_CTX_free(ctx_);
    throw;
  }
}

TlsContext::~TlsContext() {
  SSL_CTX_free(ctx_);
}

ssl_st* TlsContext::new_session(int fd, const std::string& host) const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) throw Error("cannot create a TLS session: " + openssl_errors());
  BIO* bio = BIO_new(socket_method());
  if (bio == nullptr) {
    SSL_free(ssl);
    throw Error("cannot create a TLS socket BIO: " + openssl_errors());
  }
  // The BIO's only state is the descriptor, carried in its data pointer.
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<std::intptr_t>(fd)));  // NOLINT(performance-no-int-to-ptr)
  SSL_set_bio(ssl, bio, bio);

  const std::string& name = server_name_.empty() ? host : server_name_;
  bool ip = is_ip_literal(name);
  // SNI carries DNS names only (RFC 6066).
  if (!ip) SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(name.c_str()));
  if (verify_) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                : X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
    if (ok != 1) {
      SSL_free(ssl);
      throw Error("cannot set up TLS host name verification for " + name + ": " + openssl_errors());
    }
  }
  return ssl;
}

}  // namespace sg::kafka
