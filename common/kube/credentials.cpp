#include "kube/credentials.hpp"

#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "log/redactor.hpp"
#include "runtime/error.hpp"
#include "util/base64.hpp"
#include "util/file.hpp"
#include "util/json.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"

namespace sg::kube {
namespace {

// client-go re-reads token files at most once a minute; rotation happens
// well before expiry, so that is often enough.
constexpr auto kTokenFileTtl = std::chrono::seconds(60);
// Renew exec credentials a little before they expire, not after a 401.
constexpr auto kExpiryMargin = std::chrono::seconds(30);

std::string read_token_file(const std::string& path) {
  // A token is a few KiB at most: the cap keeps a wrong path (a log, /dev/zero)
  // from being read whole.
  auto file = util::read_file_capped(path, std::size_t{1} << 20);
  if (file.status == util::FileRead::Status::TooLarge)
    throw Error("token file " + path + " is larger than 1 MiB", "point tokenFile at the token itself");
  if (!file.ok()) throw Error("cannot read token file " + path, "check that the file exists and is readable");
  return util::trim(file.text);
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(const std::string& text) {
  std::tm tm{};
  std::istringstream in(text);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  if (in.fail()) return std::nullopt;
  // system_clock counts nanoseconds in 64 bits, about 1678 to 2262: a year
  // outside that would overflow, and an expiry outside 1970-2200 is no time
  // a credential means.
  if (tm.tm_year < 70 || tm.tm_year > 300) return std::nullopt;
  auto tp = std::chrono::system_clock::from_time_t(timegm(&tm));
  std::string rest;
  std::getline(in, rest);
  std::size_t i = 0;
  if (i < rest.size() && rest[i] == '.') {
    ++i;
    std::string frac;
    while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i])))
      frac += rest[i++];
    frac = (frac + "000000000").substr(0, 9);
    tp += std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(std::stoll(frac)));
  }
  if (i < rest.size() && (rest[i] == '+' || rest[i] == '-')) {
    if (rest.size() < i + 6) return std::nullopt;
    int sign = rest[i] == '+' ? 1 : -1;
    // The offset is exactly [+-]HH:MM; anything else is not RFC 3339.
    auto digit = [&](std::size_t at) { return std::isdigit(static_cast<unsigned char>(rest[at])) != 0; };
    if (!digit(i + 1) || !digit(i + 2) || rest[i + 3] != ':' || !digit(i + 4) || !digit(i + 5)) return std::nullopt;
    int hh = (rest[i + 1] - '0') * 10 + (rest[i + 2] - '0');
    int mm = (rest[i + 4] - '0') * 10 + (rest[i + 5] - '0');
    tp -= std::chrono::minutes(sign * (hh * 60 + mm));
  } else if (i >= rest.size() || (rest[i] != 'Z' && rest[i] != 'z')) {
    return std::nullopt;
  }
  return tp;
}

ExecResult parse_exec_credential(const std::string& stdout_text, const std::string& command) {
  // An ExecCredential is a token or a certificate and key: a few KiB.
  nlohmann::json doc;
  try {
    doc = util::parse_json(stdout_text, {.max_depth = 16, .max_bytes = std::size_t{1} << 20});
  } catch (const util::JsonError&) {
    doc = nullptr;
  }
  if (!doc.is_object() || doc.value("kind", nlohmann::json()) != "ExecCredential") {
    throw Error("exec credential plugin " + command + " did not print an ExecCredential",
                "run it by hand and check its output");
  }
  ExecResult r;
  std::optional<std::string> exp;
  try {
    auto status =
        util::optional_field<nlohmann::json>(doc, "status", "ExecCredential").value_or(nlohmann::json::object());
    r.token = util::optional_field<std::string>(status, "token", "status").value_or("");
    r.client_cert_pem = util::optional_field<std::string>(status, "clientCertificateData", "status").value_or("");
    r.client_key_pem = util::optional_field<std::string>(status, "clientKeyData", "status").value_or("");
    exp = util::optional_field<std::string>(status, "expirationTimestamp", "status");
  } catch (const util::JsonError& e) {
    throw Error("exec credential plugin " + command + " printed a malformed ExecCredential: " + e.what(),
                "run it by hand and check its output");
  }
  if (r.token.empty() && (r.client_cert_pem.empty() || r.client_key_pem.empty())) {
    throw Error("exec credential plugin " + command + " returned neither a token nor a client certificate and key");
  }
  if (exp && !exp->empty()) {
    r.expires = parse_rfc3339(*exp);
    if (!r.expires) {
      throw Error("exec credential plugin " + command +
                  " returned a bad expirationTimestamp: " + log::peer_text(*exp, 64));
    }
  }
  return r;
}

Credentials::Credentials(Config cfg) : cfg_(std::move(cfg)) {
  cert_ = cfg_.client_cert_pem;
  key_ = cfg_.client_key_pem;
  if (!cfg_.token.empty()) log::redactor().add_secret(cfg_.token);
  if (!key_.empty()) log::redactor().add_secret(key_);
  if (!cfg_.password.empty()) log::redactor().add_basic_auth(cfg_.username, cfg_.password);
}

void Credentials::refresh_locked(bool force) {
  auto now = std::chrono::system_clock::now();
  if (cfg_.exec) {
    bool expired = expires_ && now + kExpiryMargin >= *expires_;
    if (have_exec_result_ && !force && !expired) return;
    const auto& e = *cfg_.exec;
    auto env = util::current_environment();
    for (const auto& [k, v] : e.env)
      env[k] = v;
    nlohmann::json info = {
        {"apiVersion", e.api_version}, {"kind", "ExecCredential"}, {"spec", {{"interactive", false}}}};
    if (e.provide_cluster_info) {
      info["spec"]["cluster"] = {{"server", cfg_.server},
                                 {"certificate-authority-data", util::base64_encode(cfg_.ca_pem)},
                                 {"insecure-skip-tls-verify", cfg_.insecure_skip_tls_verify}};
      if (!cfg_.tls_server_name.empty()) info["spec"]["cluster"]["tls-server-name"] = cfg_.tls_server_name;
    }
    env["KUBERNETES_EXEC_INFO"] = info.dump();
    std::vector<std::string> argv{e.command};
    argv.insert(argv.end(), e.args.begin(), e.args.end());
    spdlog::debug("running exec credential plugin {}", e.command);
    auto res = util::run_process(argv, env, std::chrono::seconds(60));
    if (res.exit_code != 0) {
      std::string hint = e.install_hint.empty() ? "run the command by hand to see why it fails" : e.install_hint;
      throw Error("exec credential plugin " + e.command + " exited with " + std::to_string(res.exit_code) + ": " +
                      log::peer_text(util::trim(res.err), 500),
                  hint);
    }
    auto r = parse_exec_credential(res.out, e.command);
    if (!r.token.empty()) log::redactor().add_secret(r.token);
    if (!r.client_key_pem.empty()) log::redactor().add_secret(r.client_key_pem);
    token_ = r.token;
    if (r.client_cert_pem != cert_ || r.client_key_pem != key_) {
      if (!r.client_cert_pem.empty()) {
        cert_ = r.client_cert_pem;
        key_ = r.client_key_pem;
        ++generation_;
      }
    }
    expires_ = r.expires;
    have_exec_result_ = true;
    return;
  }
  if (!cfg_.token_file.empty()) {
    auto steady = std::chrono::steady_clock::now();
    if (!force && !token_.empty() && steady - token_read_at_ < kTokenFileTtl) return;
    token_ = read_token_file(cfg_.token_file);
    token_read_at_ = steady;
    log::redactor().add_secret(token_);
    return;
  }
  token_ = cfg_.token;
}

std::string Credentials::authorization() {
  std::lock_guard lock(mu_);
  refresh_locked(false);
  if (!token_.empty()) return "Bearer " + token_;
  if (!cfg_.username.empty() || !cfg_.password.empty()) {
    return "Basic " + util::base64_encode(cfg_.username + ":" + cfg_.password);
  }
  return {};
}

std::pair<std::string, std::string> Credentials::client_certificate() {
  std::lock_guard lock(mu_);
  refresh_locked(false);
  return {cert_, key_};
}

std::uint64_t Credentials::generation() {
  std::lock_guard lock(mu_);
  refresh_locked(false);
  return generation_;
}

bool Credentials::invalidate() {
  std::lock_guard lock(mu_);
  if (cfg_.exec || !cfg_.token_file.empty()) {
    refresh_locked(true);
    return true;
  }
  return false;
}

}  // namespace sg::kube
