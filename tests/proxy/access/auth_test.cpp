// JWT validation in a real krest-proxy, over TLS: every way a token can be wrong gets its status,
// its WWW-Authenticate challenge and a body that says why.
#include <boost/beast/http/field.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <thread>

#include "auth/jwt.hpp"
#include "support/jwt_forge.hpp"
#include "support/proxy_fixture.hpp"
#include "support/test_authority.hpp"

using namespace krest;
using namespace krest::test;
namespace http = boost::beast::http;

namespace {

const std::string kIssuer = "https://issuer.test/tenant-1/v2.0";
const std::string kAudience = "https://hib.azurehdinsight.net";

// A proxy trusting one key through a JWK set file.
struct JwksProxy {
  TempDir dir;
  auth::RsaKey key = auth::RsaKey::generate();
  std::optional<ProxyProcess> proxy;
  explicit JwksProxy(std::vector<std::string> extra = {}) {
    std::ofstream(dir / "jwks.json") << jwks_of(key, "k1");
    std::vector<std::string> args = {"--auth",         "jwt",   "--auth-jwks-file",      (dir / "jwks.json").string(),
                                     "--auth-issuers", kIssuer, "--auth-allowed-groups", "writers"};
    args.insert(args.end(), extra.begin(), extra.end());
    proxy.emplace(dir / "data", args);
  }
  std::string token(const boost::json::object& claims, const std::string& kid = "k1") const {
    return auth::encode_rs256(claims, key, kid);
  }
  Reply get_with(const std::string& authorization, const std::string& target = "/v1/metadata/topics") {
    auto c = proxy->client();
    if (!authorization.empty()) c.set_authorization(authorization);
    return c.get(target);
  }
};

}  // namespace

TEST_CASE("every kind of bad token is refused with 401 and says why, a good one passes", "[integration][auth]") {
  JwksProxy p;
  auto good = good_claims(kIssuer, kAudience, "writers");
  CHECK(p.get_with("Bearer " + p.token(good)).result_int() == 200);

  auto none = p.get_with({});
  CHECK(none.result_int() == 401);
  CHECK(none[http::field::www_authenticate] == "Bearer realm=\"krest-proxy\"");

  auto with = [&](const char* name, boost::json::value v) {
    auto c = good;
    c[name] = std::move(v);
    return "Bearer " + p.token(c);
  };
  const auto now = unix_now();
  const std::string public_jwk = boost::json::serialize(auth::public_jwk(p.key, "k1"));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not a JWT", "Bearer not-a-token"},
      {"the token has no key id", "Bearer " + auth::encode_rs256(good, p.key, "")},
      {"not known", "Bearer " + p.token(good, "k-unknown")},
      {"signature does not verify", "Bearer " + auth::encode_rs256(good, auth::RsaKey::generate(), "k1")},
      {"'none' is not accepted", "Bearer " + unsigned_token(good, "k1")},
      {"'HS256' is not accepted", "Bearer " + hs256_token({{"alg", "HS256"}, {"kid", "k1"}}, good, public_jwk)},
      {"expired", with("exp", now - 3600)},
      {"not valid yet", with("nbf", now + 3600)},
      {"audience", with("aud", "https://management.azure.com")},
      {"issuer", with("iss", "https://sts.windows.net/someone-else/")},
      {"must be 'Bearer <token>'", "Basic dXNlcjpwYXNz"},
  };
  for (const auto& [expected, header] : cases) {
    INFO(expected);
    auto r = p.get_with(header);
    CHECK(r.result_int() == 401);
    CHECK_THAT(r.body(), Catch::Contains(expected));
    CHECK_THAT(std::string(r[http::field::www_authenticate]),
               Catch::StartsWith("Bearer realm=\"krest-proxy\", error="));
  }
  auto outsider = p.get_with(with("groups", boost::json::array{"readers"}));
  CHECK(outsider.result_int() == 403);
  CHECK_THAT(std::string(outsider[http::field::www_authenticate]), Catch::Contains("insufficient_scope"));
  CHECK_THAT(outsider.body(), Catch::Contains("not a member of an allowed group"));
  // Refusals never echo the token.
  CHECK(p.get_with("Bearer " + p.token(good, "k-unknown")).body().find(p.token(good, "k-unknown")) ==
        std::string::npos);
}

TEST_CASE("a verified token is cached: one RSA verification for many requests on a connection", "[integration][auth]") {
  JwksProxy p;
  auto c = p.proxy->client();
  c.set_authorization("Bearer " + p.token(good_claims(kIssuer, kAudience, "writers")));
  for (int i = 0; i < 50; ++i) REQUIRE(c.get("/v1/metadata/topics").result_int() == 200);
  CHECK(metric(c, "krest_proxy_auth_verifications_total") == 1);
  CHECK(metric(c, "krest_proxy_auth_cache_hits_total") == 49);
}

TEST_CASE("status and health need no token unless configured, and the JWK set file is re-read for a new key",
          "[integration][auth]") {
  JwksProxy p({"--auth-status-requires-token"});
  CHECK(p.get_with({}, "/health").result_int() == 200);
  CHECK(p.get_with({}, "/v1/status").result_int() == 401);

  auto rotated = auth::RsaKey::generate();
  auto good = good_claims(kIssuer, kAudience, "writers");
  const std::string new_token = "Bearer " + auth::encode_rs256(good, rotated, "k2");
  CHECK(p.get_with(new_token).result_int() == 401);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a distinct modification time
  auto both =
      boost::json::object{{"keys", boost::json::array{auth::public_jwk(p.key, "k1"), auth::public_jwk(rotated, "k2")}}};
  std::ofstream(p.dir / "jwks.json") << boost::json::serialize(both);
  CHECK(p.get_with(new_token).result_int() == 200);
}

TEST_CASE("a proxy validates tokens of a separate authority found through its discovery document, across key rotations",
          "[integration][auth]") {
  TempDir dir;
  write_authority_file(dir / "authority.json", 60, {}, 1);  // a new signing key every second
  ProxyProcess authority(dir / "authority",
                         {"--authority-file", (dir / "authority.json").string(), "--serve-api=false", "--auth", "none"});
  const std::string authority_url = "https://localhost:" + std::to_string(authority.port()) + "/" + kTenant;
  ProxyProcess proxy(dir / "proxy",
                     {"--auth", "jwt", "--auth-authority", authority_url, "--auth-ca-file", authority.ca_file(),
                      "--auth-allowed-groups", kAllowedGroup, "--auth-keys-min-refresh-ms", "0"});
  auto token_client = authority.client();
  const std::string form = std::string("grant_type=client_credentials&client_id=") + kClientId +
                           "&client_secret=" + kClientSecret + "&scope=https%3A%2F%2Fhib.azurehdinsight.net%2F.default";
  std::set<std::string> kids;
  for (int i = 0; i < 4; ++i) {
    auto t = token_client.request(http::verb::post, std::string("/") + kTenant + "/oauth2/v2.0/token", form,
                                  "application/x-www-form-urlencoded");
    REQUIRE(t.result_int() == 200);
    const std::string token(boost::json::parse(t.body()).at("access_token").as_string());
    std::string why;
    kids.insert(auth::decode_jwt(token, why)->kid);
    auto api = proxy.client();
    api.set_authorization("Bearer " + token);
    INFO("token " << i);
    CHECK(api.get("/v1/metadata/topics").result_int() == 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  }
  CHECK(kids.size() >= 3);  // the tokens really were signed by different, rotated keys
  // The authority-only process serves no API.
  CHECK(authority.client().get("/v1/metadata/topics").result_int() == 404);
}

TEST_CASE("without reachable signing keys the proxy answers 503, not 401", "[integration][auth]") {
  TempDir dir;
  ProxyProcess proxy(dir / "data",
                     {"--auth", "jwt", "--auth-authority", "https://127.0.0.1:1/tenant", "--auth-allowed-groups", "g"});
  auto c = proxy.client();
  c.set_authorization("Bearer " + auth::encode_rs256(good_claims("i", "a", "g"), auth::RsaKey::generate(), "k"));
  auto r = c.get("/v1/metadata/topics");
  CHECK(r.result_int() == 503);
  CHECK_THAT(r.body(), Catch::Contains("signing keys are not available"));
}

TEST_CASE("the token endpoint refuses a wrong client secret with invalid_client over the wire", "[integration][auth]") {
  ProxyFixture f;
  auto c = f.proxy.client();
  auto r = c.request(http::verb::post, std::string("/") + kTenant + "/oauth2/v2.0/token",
                     std::string("grant_type=client_credentials&client_id=") + kClientId +
                         "&client_secret=wrong-secret&scope=https%3A%2F%2Fhib.azurehdinsight.net%2F.default",
                     "application/x-www-form-urlencoded");
  CHECK(r.result_int() == 401);
  CHECK_THAT(r.body(), Catch::Contains("\"error\":\"invalid_client\""));
  CHECK(r[http::field::cache_control] == "no-store");
  CHECK(f.proxy.log().find("wrong-secret") == std::string::npos);  // secrets never reach the log
  // Unknown tenants are not served.
  CHECK(c.get("/other-tenant/v2.0/.well-known/openid-configuration").result_int() == 404);
}

TEST_CASE("a request without a valid token is refused from its header, before any of its body is read",
          "[integration][auth]") {
  ProxyFixture f;
  auto c = f.proxy.client();
  c.set_authorization({});
  // 50 MB announced, none sent: an answer can only come from the header.
  c.send_raw("POST /v1/producer/topics/t HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
             "Content-Length: 50000000\r\n\r\n");
  auto r = c.read_reply();
  CHECK(r.result_int() == 401);
  CHECK_FALSE(r.keep_alive());
  CHECK(c.closed_by_server());
  // With the token the same header gets 100 Continue, as before.
  auto ok = f.connect();
  ok.send_raw("POST /v1/producer/topics/t HTTP/1.1\r\nHost: localhost\r\n" + ok.authorization_line() +
              "Expect: 100-continue\r\nContent-Length: 50000000\r\n\r\n");
  CHECK(ok.read_reply().result_int() == 100);
}
