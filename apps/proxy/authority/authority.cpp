#include "authority/authority.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>
#include <boost/beast/core/string.hpp>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/decode_view.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "auth/base64url.hpp"
#include "auth/jwt.hpp"
#include "authority/secret_hash.hpp"
#include "http/form.hpp"
#include "log_text.hpp"

namespace krest::proxy {
namespace json = boost::json;
namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string sha256(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), size);
}

std::string random_id() {
  unsigned char bytes[16];
  RAND_bytes(bytes, sizeof bytes);
  return auth::base64url_encode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

// A token request is a handful of fields; a form of thousands is an attack on the parser.
constexpr std::size_t kMaxFormFields = 32;

OAuthReply oauth_error(unsigned status, std::string_view code, std::string_view description) {
  json::object body{{"error", code}, {"error_description", description}};
  return {status, json::serialize(body), {}};
}

std::string text_field(const json::object& o, std::string_view key, const std::string& where, bool required) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) {
    if (required) throw std::invalid_argument(where + ": \"" + std::string(key) + "\" is required");
    return {};
  }
  if (!v->is_string() || v->get_string().empty())
    throw std::invalid_argument(where + ": \"" + std::string(key) + "\" must be a non-empty string");
  return std::string(v->get_string());
}

std::int64_t int_field(const json::object& o, std::string_view key, std::int64_t fallback, std::int64_t min,
                       std::int64_t max, const std::string& where) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return fallback;
  if (!v->is_int64() || v->as_int64() < min || v->as_int64() > max)
    throw std::invalid_argument(where + ": \"" + std::string(key) + "\" must be an integer in [" + std::to_string(min) +
                                ", " + std::to_string(max) + "]");
  return v->as_int64();
}

// RFC 6749 §2.3.1: HTTP Basic with the form-encoded client id and secret.
bool basic_credentials(std::string_view authorization, std::string& id, std::string& secret) {
  if (authorization.size() < 6 || !boost::beast::iequals(authorization.substr(0, 6), "Basic ")) return false;
  std::string text(authorization.substr(6));
  while (!text.empty() && text.back() == '=') text.pop_back();
  for (auto& c : text) c = c == '+' ? '-' : c == '/' ? '_' : c;
  auto decoded = auth::base64url_decode(text);
  if (!decoded) return false;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return false;
  try {
    auto fields = http::form_decode("i=" + decoded->substr(0, colon) + "&s=" + decoded->substr(colon + 1));
    id = fields["i"];
    secret = fields["s"];
  } catch (const std::invalid_argument&) {
    return false;
  }
  return true;
}

}  // namespace

AuthorityConfig read_authority_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument("authority file '" + path + "' cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  json::value doc = json::parse(text.str(), ec);
  if (ec || !doc.is_object()) throw std::invalid_argument("authority file '" + path + "' is not a JSON object");
  const auto& o = doc.as_object();
  for (const auto& [key, value] : o)
    if (key != "tenant" && key != "audience" && key != "token_lifetime_s" && key != "key_rotation_s" &&
        key != "applications")
      throw std::invalid_argument("authority file '" + path + "': unknown setting '" + std::string(key) + "'");
  AuthorityConfig c;
  if (auto t = text_field(o, "tenant", path, false); !t.empty()) c.tenant = t;
  if (c.tenant.find_first_of("/?#%") != std::string::npos)
    throw std::invalid_argument(path + ": \"tenant\" must be one URL path segment");
  if (auto a = text_field(o, "audience", path, false); !a.empty()) c.audience = a;
  c.token_lifetime_s = int_field(o, "token_lifetime_s", c.token_lifetime_s, 1, 86400, path);
  c.key_rotation_s = int_field(o, "key_rotation_s", c.key_rotation_s, 1, 365LL * 86400, path);
  const json::value* apps = o.if_contains("applications");
  if (apps == nullptr || !apps->is_array() || apps->as_array().empty())
    throw std::invalid_argument(path + ": \"applications\" must be a non-empty array");
  for (const auto& a : apps->as_array()) {
    const std::string where = path + ": applications[" + std::to_string(c.applications.size()) + "]";
    if (!a.is_object()) throw std::invalid_argument(where + " must be an object");
    const auto& ao = a.as_object();
    RegisteredApp app;
    app.client_id = text_field(ao, "client_id", where, true);
    app.name = text_field(ao, "name", where, false);
    app.secret_hash = text_field(ao, "secret_hash", where, true);
    if (!is_secret_hash(app.secret_hash))
      throw std::invalid_argument(where + ": \"secret_hash\" is not a hash from `krest-proxy --hash-secret`");
    app.object_id = text_field(ao, "object_id", where, false);
    if (app.object_id.empty()) app.object_id = app.client_id;
    if (const json::value* groups = ao.if_contains("groups")) {
      if (!groups->is_array()) throw std::invalid_argument(where + ": \"groups\" must be an array of strings");
      for (const auto& g : groups->as_array()) {
        if (!g.is_string() || g.get_string().empty())
          throw std::invalid_argument(where + ": \"groups\" must be an array of non-empty strings");
        app.groups.emplace_back(g.get_string());
      }
    }
    for (const auto& other : c.applications)
      if (other.client_id == app.client_id)
        throw std::invalid_argument(where + ": client_id '" + app.client_id + "' is registered twice");
    for (const auto& [key, value] : ao)
      if (key != "name" && key != "client_id" && key != "secret_hash" && key != "object_id" && key != "groups")
        throw std::invalid_argument(where + ": unknown setting '" + std::string(key) + "'");
    c.applications.push_back(std::move(app));
  }
  return c;
}

Authority::Authority(AuthorityConfig config, std::filesystem::path key_dir)
    : config_(std::move(config)),
      apps_(std::make_shared<const std::vector<RegisteredApp>>(config_.applications)),
      keys_(KeyRingOptions{std::move(key_dir), std::chrono::seconds(config_.key_rotation_s),
                           // A retired key stays published while any token it signed is valid,
                           // with a margin for validators' clock skew.
                           std::chrono::seconds(config_.token_lifetime_s + 300)}),
      // As costly as the registered applications' own (all are read with the same cost as the first).
      stand_in_hash_(config_.applications.empty()
                         ? hash_secret(random_id())
                         : hash_secret_like(random_id(), config_.applications.front().secret_hash)) {}

void Authority::set_public_url(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  public_url_ = std::move(url);
}

std::string Authority::authority_url() const { return public_url_ + "/" + config_.tenant; }
std::string Authority::issuer() const { return authority_url() + "/v2.0"; }

std::shared_ptr<const std::vector<RegisteredApp>> Authority::applications() const {
  std::lock_guard lock(apps_mutex_);
  return apps_;
}

std::shared_ptr<const RegisteredApp> Authority::find_application(std::string_view client_id) const {
  auto apps = applications();
  for (const auto& a : *apps)
    if (a.client_id == client_id) return {apps, &a};  // shares the list's lifetime
  return nullptr;
}

std::vector<std::string> Authority::replace_applications(const AuthorityConfig& fresh) {
  std::vector<std::string> kept;
  if (fresh.tenant != config_.tenant) kept.push_back("tenant");
  if (fresh.audience != config_.audience) kept.push_back("audience");
  if (fresh.token_lifetime_s != config_.token_lifetime_s) kept.push_back("token_lifetime_s");
  if (fresh.key_rotation_s != config_.key_rotation_s) kept.push_back("key_rotation_s");
  auto apps = std::make_shared<const std::vector<RegisteredApp>>(fresh.applications);
  std::lock_guard lock(apps_mutex_);
  apps_ = std::move(apps);
  return kept;
}

bool Authority::verified_before(const RegisteredApp& app, std::string_view secret) {
  if (secret.empty()) return false;
  const std::string digest = sha256(secret);
  std::lock_guard lock(verified_mutex_);
  auto it = verified_.find(app.client_id);
  return it != verified_.end() && it->second.secret_hash == app.secret_hash &&
         CRYPTO_memcmp(it->second.digest.data(), digest.data(), digest.size()) == 0;
}

void Authority::remember_verified(const RegisteredApp& app, std::string_view secret) {
  Verified v{app.secret_hash, sha256(secret)};
  std::lock_guard lock(verified_mutex_);
  verified_[app.client_id] = std::move(v);
}

std::string Authority::sign_token(const RegisteredApp& app) {
  const auto now = unix_now();
  json::array groups;
  for (const auto& g : app.groups) groups.emplace_back(g);
  json::object claims{{"aud", config_.audience},
                      {"iss", issuer()},
                      {"iat", now},
                      {"nbf", now},
                      {"exp", now + config_.token_lifetime_s},
                      {"tid", config_.tenant},
                      {"appid", app.client_id},
                      {"azp", app.client_id},
                      {"appidacr", "1"},
                      {"azpacr", "1"},
                      {"oid", app.object_id},
                      {"sub", app.object_id},
                      {"idtyp", "app"},
                      {"groups", std::move(groups)},
                      {"jti", random_id()},
                      {"ver", "2.0"}};
  auto signer = keys_.signer();
  return auth::encode_rs256(claims, signer.key, signer.kid);
}

std::variant<ClientCredentials, OAuthReply> Authority::read_token_request(std::string_view content_type,
                                                                            std::string_view authorization,
                                                                            std::string_view body) const {
  const auto semicolon = content_type.find(';');
  auto media = content_type.substr(0, semicolon);
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  if (!boost::beast::iequals(media, "application/x-www-form-urlencoded"))
    return oauth_error(400, "invalid_request", "the token request must be application/x-www-form-urlencoded");
  std::map<std::string, std::string> form;
  try {
    form = http::form_decode(body, kMaxFormFields);
  } catch (const std::invalid_argument& e) {
    return oauth_error(400, "invalid_request", e.what());
  }
  if (form["grant_type"].empty()) return oauth_error(400, "invalid_request", "grant_type is required");
  if (form["grant_type"] != "client_credentials")
    return oauth_error(400, "unsupported_grant_type",
                       "grant_type '" + printable(form["grant_type"]) +
                           "' is not supported: this authority serves client_credentials");
  ClientCredentials c;
  c.basic = basic_credentials(authorization, c.client_id, c.secret);
  if (!c.basic) {
    c.client_id = form["client_id"];
    c.secret = form["client_secret"];
  } else if (!form["client_secret"].empty()) {
    return oauth_error(400, "invalid_request", "client credentials were given twice (Basic and the body)");
  }
  if (c.client_id.empty()) return oauth_error(400, "invalid_request", "client_id is required");
  c.scope = form["scope"];
  return c;
}

OAuthReply Authority::refuse_client(const ClientCredentials& asked) const {
  spdlog::warn("authority: client authentication failed for client_id '{}'", printable(asked.client_id));
  auto reply = oauth_error(401, "invalid_client", "client authentication failed: unknown client_id or wrong secret");
  if (asked.basic) reply.www_authenticate = "Basic realm=\"krest-authority\"";
  return reply;
}

OAuthReply Authority::grant(const RegisteredApp& app, const ClientCredentials& asked) {
  const std::string wanted = config_.audience + "/.default";
  if (asked.scope != wanted)
    return oauth_error(400, "invalid_scope", "scope must be '" + wanted + "' (given: '" + printable(asked.scope) + "')");
  json::object reply{{"token_type", "Bearer"},
                     {"expires_in", config_.token_lifetime_s},
                     {"ext_expires_in", config_.token_lifetime_s},
                     {"access_token", sign_token(app)}};
  return {200, json::serialize(reply), {}};
}

OAuthReply Authority::issue_token(std::string_view content_type, std::string_view authorization,
                                  std::string_view body) {
  auto read = read_token_request(content_type, authorization, body);
  if (auto* refusal = std::get_if<OAuthReply>(&read)) return *refusal;
  const auto& asked = std::get<ClientCredentials>(read);
  const auto app = find_application(asked.client_id);
  const bool passed = app && !asked.secret.empty() &&
                      (verified_before(*app, asked.secret) || secret_matches(asked.secret, app->secret_hash));
  if (!passed) return refuse_client(asked);
  remember_verified(*app, asked.secret);
  return grant(*app, asked);
}

std::string Authority::discovery_document() const {
  const std::string base = authority_url();
  json::object doc{{"issuer", issuer()},
                   {"authorization_endpoint", base + "/oauth2/v2.0/authorize"},
                   {"token_endpoint", base + "/oauth2/v2.0/token"},
                   {"jwks_uri", base + "/discovery/v2.0/keys"},
                   {"token_endpoint_auth_methods_supported", json::array{"client_secret_post", "client_secret_basic"}},
                   {"grant_types_supported", json::array{"client_credentials"}},
                   {"id_token_signing_alg_values_supported", json::array{"RS256"}},
                   {"subject_types_supported", json::array{"pairwise"}},
                   {"tenant_region_scope", nullptr},
                   {"cloud_instance_name", "krest.local"}};
  return json::serialize(doc);
}

std::string Authority::jwks_document() const { return json::serialize(keys_.jwks()); }

namespace {

class InProcessKeys final : public KeySource {
 public:
  explicit InProcessKeys(Authority& authority) : authority_(authority) {}
  std::shared_ptr<const TrustedKeys> current() const override {
    auto keys = authority_.keys().published();
    std::lock_guard lock(mutex_);
    if (!snapshot_ || keys != source_) {
      auto fresh = std::make_shared<TrustedKeys>();
      fresh->keys = *keys;
      fresh->issuers = {authority_.issuer()};
      snapshot_ = std::move(fresh);
      source_ = std::move(keys);
    }
    return snapshot_;
  }
  boost::asio::awaitable<std::shared_ptr<const TrustedKeys>> refresh_for_unknown_key() override { co_return current(); }
  std::string describe() const override { return "the development authority in this process"; }

 private:
  Authority& authority_;
  mutable std::mutex mutex_;  // guards the snapshot, rebuilt when the ring publishes new keys
  mutable std::shared_ptr<const KeyMap> source_;
  mutable std::shared_ptr<const TrustedKeys> snapshot_;
};

}  // namespace

std::unique_ptr<KeySource> Authority::key_source() { return std::make_unique<InProcessKeys>(*this); }

}  // namespace krest::proxy
