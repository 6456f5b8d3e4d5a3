#include "transport.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "errors.hpp"
#include "runtime/error.hpp"
#include "util/strings.hpp"

namespace sg::kafka {

namespace {

constexpr const char* kTimeoutHint =
    "the broker did not answer in time: it may be down, hung or overloaded, or a firewall drops the traffic; "
    "check the broker, or raise the timeout";
constexpr const char* kClosedHint =
    "the broker closed the connection: usually a security protocol that does not match the listener (PLAINTEXT "
    "client on an SSL or SASL port, or the reverse), a failed authentication, or a broker restarting";
constexpr const char* kTlsHint =
    "check that the port is an SSL or SASL_SSL listener and that the client's TLS settings match it";

// std::strerror is not thread-safe; the generic category's message is.
std::string errno_text(int err) {
  return std::generic_category().message(err);
}

std::string connect_hint(int err) {
  switch (err) {
    case ECONNREFUSED:
      return "nothing listens there: check that the broker runs and that the address matches its listeners "
             "(advertised.listeners for addresses learnt from metadata)";
    case EHOSTUNREACH:
    case ENETUNREACH:
      return "no route to the broker: check the address and the network between this job and the cluster";
    default:
      return "check that the broker runs and is reachable from this job";
  }
}

}  // namespace

std::string Endpoint::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Endpoint Endpoint::parse(std::string_view text) {
  auto trimmed = util::trim(text);
  auto bad = [&](const std::string& why) {
    return Error("invalid Kafka server address " + util::quote_for_message(trimmed) + ": " + why,
                 "use host:port, e.g. kafka-0.kafka:9092 or [::1]:9092");
  };
  std::string host;
  std::string port_text;
  if (!trimmed.empty() && trimmed.front() == '[') {
    auto close = trimmed.find(']');
    if (close == std::string::npos || close + 1 >= trimmed.size() || trimmed[close + 1] != ':') {
      throw bad("an IPv6 address needs the form [address]:port");
    }
    host = trimmed.substr(1, close - 1);
    port_text = trimmed.substr(close + 2);
  } else {
    auto colon = trimmed.rfind(':');
    if (colon == std::string::npos) throw bad("the port is missing");
    host = trimmed.substr(0, colon);
    port_text = trimmed.substr(colon + 1);
    if (host.find(':') != std::string::npos) throw bad("put IPv6 addresses in brackets");
  }
  if (host.empty()) throw bad("the host is empty");
  if (port_text.empty() || port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos) {
    throw bad("the port is not a number");
  }
  int port = std::stoi(port_text);
  if (port < 1 || port > 65535) throw bad("the port is outside 1..65535");
  return Endpoint{host, static_cast<std::uint16_t>(port)};
}

std::unique_ptr<Transport> Transport::open(const Endpoint& endpoint, const TlsContext* tls, const std::string& peer,
                                           Deadline deadline, const CancelToken* cancel) {
  if (cancel != nullptr) cancel->throw_if_cancelled();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(endpoint.host.c_str(), std::to_string(endpoint.port).c_str(), &hints, &found);
  if (rc != 0) {
    throw TransportError(peer + ": cannot resolve " + util::quote_for_message(endpoint.host) + ": " + gai_strerror(rc),
                         "check the host name; for addresses learnt from metadata, check the brokers' "
                         "advertised.listeners");
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, ::freeaddrinfo);

  int last_error = 0;
  std::string last_what;
  for (addrinfo* ai = addresses.get(); ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_error = errno;
      continue;
    }
    std::unique_ptr<Transport> t(new Transport(fd, peer, cancel));
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        last_error = errno;
        continue;
      }
      t->wait(POLLOUT, deadline, "connecting");
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        last_error = err;
        continue;
      }
    }
    if (tls != nullptr) {
      t->ssl_ = tls->new_session(fd, endpoint.host);
      t->handshake(deadline);
    }
    return t;
  }
  throw TransportError(peer + ": cannot connect: " + errno_text(last_error), connect_hint(last_error));
}

Transport::~Transport() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (fd_ >= 0) ::close(fd_);
}

bool Transport::idle_and_alive() const {
  char probe = 0;
  auto n = ::recv(fd_, &probe, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return false;  // orderly close
  if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  // Bytes while no request is outstanding: with TLS that may be a session
  // ticket or a close_notify (the next read tells); in plain Kafka it can
  // only mean the stream is out of step.
  return ssl_ != nullptr;
}

void Transport::wait(short events, Deadline deadline, const char* doing) {
  for (;;) {
    if (cancel_ != nullptr) cancel_->throw_if_cancelled();
    auto now = Clock::now();
    if (now >= deadline) throw TransportError(peer_ + ": timed out " + doing, kTimeoutHint);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
    // Short slices: a cancel request is noticed within 100 ms.
    int slice = static_cast<int>(std::min<long long>(left, 100));
    pollfd p{fd_, events, 0};
    int rc = ::poll(&p, 1, slice);
    if (rc > 0) return;  // errors and hang-ups surface in the next I/O call
    if (rc < 0 && errno != EINTR) throw TransportError(peer_ + ": poll failed: " + errno_text(errno), "");
  }
}

void Transport::tls_failure(int ssl_error, const char* doing) {
  if (ssl_error == SSL_ERROR_ZERO_RETURN) {
    ERR_clear_error();
    throw TransportError(peer_ + ": the broker closed the TLS connection while " + doing, kClosedHint);
  }
  long verify = SSL_get_verify_result(ssl_);
  if (verify != X509_V_OK) {
    ERR_clear_error();
    throw TransportError(peer_ + ": TLS certificate verification failed: " + X509_verify_cert_error_string(verify),
                         "pass the CA that issued the brokers' certificates, set the TLS server name when the "
                         "certificates do not name the advertised host, or (for tests only) turn verification off");
  }
  if (ssl_error == SSL_ERROR_SYSCALL) {
    int err = errno;
    auto details = ERR_peek_error() != 0 ? openssl_errors() : (err != 0 ? errno_text(err) : "unexpected end of stream");
    throw TransportError(peer_ + ": connection lost while " + doing + " (TLS): " + details, kClosedHint);
  }
  throw TransportError(peer_ + ": TLS error while " + doing + ": " + openssl_errors(), kTlsHint);
}

void Transport::handshake(Deadline deadline) {
  for (;;) {
    ERR_clear_error();
    int rc = SSL_connect(ssl_);
    if (rc == 1) return;
    int e = SSL_get_error(ssl_, rc);
    if (e == SSL_ERROR_WANT_READ) {
      wait(POLLIN, deadline, "during the TLS handshake");
    } else if (e == SSL_ERROR_WANT_WRITE) {
      wait(POLLOUT, deadline, "during the TLS handshake");
    } else {
      tls_failure(e, "in the TLS handshake");
    }
  }
}

void Transport::write_all(std::string_view data, Deadline deadline) {
  std::size_t done = 0;
  while (done < data.size()) {
    if (ssl_ != nullptr) {
      ERR_clear_error();
      std::size_t n = 0;
      int rc = SSL_write_ex(ssl_, data.data() + done, data.size() - done, &n);
      if (rc == 1) {
        done += n;
        continue;
      }
      int e = SSL_get_error(ssl_, rc);
      if (e == SSL_ERROR_WANT_WRITE) {
        wait(POLLOUT, deadline, "sending a request");
      } else if (e == SSL_ERROR_WANT_READ) {
        wait(POLLIN, deadline, "sending a request");
      } else {
        tls_failure(e, "sending a request");
      }
    } else {
      auto n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n >= 0) {
        done += static_cast<std::size_t>(n);
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        wait(POLLOUT, deadline, "sending a request");
      } else if (errno != EINTR) {
        int err = errno;
        throw TransportError(peer_ + ": connection lost while sending a request: " + errno_text(err), kClosedHint);
      }
    }
  }
}

void Transport::read_exact(char* out, std::size_t n, Deadline deadline) {
  std::size_t got = 0;
  while (got < n) {
    if (ssl_ != nullptr) {
      ERR_clear_error();
      std::size_t r = 0;
      int rc = SSL_read_ex(ssl_, out + got, n - got, &r);
      if (rc == 1) {
        got += r;
        continue;
      }
      int e = SSL_get_error(ssl_, rc);
      if (e == SSL_ERROR_WANT_READ) {
        wait(POLLIN, deadline, "waiting for the response");
      } else if (e == SSL_ERROR_WANT_WRITE) {
        wait(POLLOUT, deadline, "waiting for the response");
      } else {
        tls_failure(e, "reading a response");
      }
    } else {
      auto r = ::recv(fd_, out + got, n - got, 0);
      if (r > 0) {
        got += static_cast<std::size_t>(r);
      } else if (r == 0) {
        throw TransportError(peer_ + ": the broker closed the connection while a response was expected", kClosedHint);
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        wait(POLLIN, deadline, "waiting for the response");
      } else if (errno != EINTR) {
        int err = errno;
        throw TransportError(peer_ + ": connection lost while reading a response: " + errno_text(err), kClosedHint);
      }
    }
  }
}

}  // namespace sg::kafka
