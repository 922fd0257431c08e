#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <fstream>

#include "auth/base64url.hpp"
#include "auth/jwt.hpp"
#include "authority/authority.hpp"
#include "authority/secret_hash.hpp"
#include "support/temp_dir.hpp"
#include "support/test_authority.hpp"

using namespace krest;
using namespace krest::proxy;

TEST_CASE("secret hashes verify the right secret only, including one made by Python's hashlib", "[unit][authority]") {
  const std::string hash = hash_secret("correct horse battery staple", 10);
  CHECK(is_secret_hash(hash));
  CHECK(secret_matches("correct horse battery staple", hash));
  CHECK_FALSE(secret_matches("correct horse battery stapl", hash));
  CHECK(secret_matches(test::kClientSecret, test::kClientSecretHash));
  CHECK_FALSE(is_secret_hash("scrypt$30$8$1$a3Jlc3QtdGVzdC1zYWx0LTAxMjM$OPme5UQdL9uvJ-Dfj8VoVthrEx4zfViFHD5Jv63vB2o"));
  CHECK_FALSE(is_secret_hash("plain-text-secret"));
  CHECK_FALSE(secret_matches("plain-text-secret", "plain-text-secret"));
}

TEST_CASE("the key ring publishes the next key before it signs, and retires old keys", "[unit][authority]") {
  test::TempDir dir;
  KeyRingOptions options{dir.path() / "keys", std::chrono::seconds(3600), std::chrono::seconds(0)};
  std::string first_signer, next;
  {
    KeyRing ring(options);
    CHECK(ring.published()->size() == 2);
    first_signer = ring.signer().kid;
    for (const auto& [kid, key] : *ring.published())
      if (kid != first_signer) next = kid;
    ring.rotate();
    CHECK(ring.signer().kid == next);  // the key validators already had is the one now signing
    CHECK(ring.published()->count(next) == 1);
    CHECK(ring.published()->size() == 3);  // the retired key stays until the next rotation prunes it
  }
  KeyRing reopened(options);  // keys persist: a restart keeps signing with the same key
  CHECK(reopened.signer().kid == next);
  reopened.rotate();
  CHECK(reopened.published()->count(first_signer) == 0);  // retention 0: gone once two rotations old
  CHECK(reopened.jwks().at("keys").as_array().size() == reopened.published()->size());
}

namespace {

struct AuthorityFixture {
  test::TempDir dir;
  std::unique_ptr<Authority> authority;
  AuthorityFixture() {
    test::write_authority_file(dir.path() / "authority.json", 120,
                               R"(,{"client_id":"outsider","secret_hash":")" + std::string(test::kClientSecretHash) +
                                   R"(","object_id":"oid-outsider"})");
    authority = std::make_unique<Authority>(read_authority_config((dir.path() / "authority.json").string()),
                                            dir.path() / "keys");
    authority->set_public_url("https://localhost:8443/");
  }
  OAuthReply ask(const std::string& body, const std::string& authorization = {},
                 const std::string& type = "application/x-www-form-urlencoded") {
    return authority->issue_token(type, authorization, body);
  }
};

const std::string kGood = std::string("grant_type=client_credentials&client_id=") + test::kClientId +
                          "&client_secret=" + test::kClientSecret +
                          "&scope=https%3A%2F%2Fhib.azurehdinsight.net%2F.default";

std::string oauth_error(const OAuthReply& r) { return std::string(boost::json::parse(r.body).at("error").as_string()); }

}  // namespace

TEST_CASE("the token endpoint issues Entra-shaped RS256 tokens for client credentials", "[unit][authority]") {
  AuthorityFixture f;
  auto r = f.ask(kGood + "&client_info=1");  // unknown parameters are ignored, as RFC 6749 asks
  REQUIRE(r.status == 200);
  auto body = boost::json::parse(r.body).as_object();
  CHECK(body.at("token_type").as_string() == "Bearer");
  CHECK(body.at("expires_in").as_int64() == 120);
  std::string why;
  auto jwt = auth::decode_jwt(body.at("access_token").as_string(), why);
  REQUIRE(jwt);
  CHECK(jwt->alg == "RS256");
  CHECK(f.authority->keys().published()->count(jwt->kid) == 1);
  const auto& c = jwt->claims;
  CHECK(c.at("iss").as_string() == "https://localhost:8443/krest-dev/v2.0");
  CHECK(c.at("aud").as_string() == "https://hib.azurehdinsight.net");
  CHECK(c.at("exp").as_int64() - c.at("iat").as_int64() == 120);
  CHECK(c.at("appid").as_string() == test::kClientId);
  CHECK(c.at("azp").as_string() == test::kClientId);
  CHECK(c.at("tid").as_string() == "krest-dev");
  CHECK(c.at("groups").as_array().at(0).as_string() == test::kAllowedGroup);
  CHECK(c.contains("oid"));
  CHECK(c.contains("nbf"));
  CHECK(f.authority->keys().published()->at(jwt->kid).verify_sha256(jwt->signing_input, jwt->signature));
}

TEST_CASE("the token endpoint answers RFC 6749 errors", "[unit][authority]") {
  AuthorityFixture f;
  auto wrong = f.ask(std::string("grant_type=client_credentials&client_id=") + test::kClientId +
                     "&client_secret=bogus-secret-xyz&scope=https%3A%2F%2Fhib.azurehdinsight.net%2F.default");
  CHECK(wrong.status == 401);
  CHECK(oauth_error(wrong) == "invalid_client");
  CHECK(wrong.body.find("bogus-secret-xyz") == std::string::npos);
  CHECK(oauth_error(f.ask("grant_type=password&client_id=x")) == "unsupported_grant_type");
  CHECK(oauth_error(f.ask("client_id=x")) == "invalid_request");
  auto scope = f.ask(std::string("grant_type=client_credentials&client_id=") + test::kClientId +
                     "&client_secret=" + test::kClientSecret + "&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default");
  CHECK(scope.status == 400);
  CHECK(oauth_error(scope) == "invalid_scope");
  CHECK(oauth_error(f.ask(kGood, {}, "application/json")) == "invalid_request");
  CHECK(oauth_error(f.ask(kGood + "&scope=again")) == "invalid_request");
  auto unknown = f.ask("grant_type=client_credentials&client_id=nobody&client_secret=x&scope=y");
  CHECK(oauth_error(unknown) == "invalid_client");
}

TEST_CASE("HTTP Basic client authentication works and its failure challenges Basic", "[unit][authority]") {
  AuthorityFixture f;
  const std::string form = "grant_type=client_credentials&scope=https%3A%2F%2Fhib.azurehdinsight.net%2F.default";
  auto basic = [](const std::string& id, const std::string& secret) {
    // Standard base64 of id:secret (the test values need no form-encoding).
    std::string b = auth::base64url_encode(id + ":" + secret);
    for (auto& ch : b) ch = ch == '-' ? '+' : ch == '_' ? '/' : ch;
    while (b.size() % 4) b += '=';
    return "Basic " + b;
  };
  CHECK(f.ask(form, basic(test::kClientId, test::kClientSecret)).status == 200);
  auto bad = f.ask(form, basic(test::kClientId, "nope"));
  CHECK(bad.status == 401);
  CHECK(bad.www_authenticate.rfind("Basic", 0) == 0);
}

TEST_CASE("an authority file with a problem is refused by name", "[unit][authority]") {
  test::TempDir dir;
  auto refuse = [&](const std::string& text, const std::string& expected) {
    std::ofstream(dir.path() / "a.json") << text;
    CHECK_THROWS_WITH(read_authority_config((dir.path() / "a.json").string()), Catch::Contains(expected));
  };
  refuse(R"({"applications":[]})", "non-empty array");
  refuse(R"({"applications":[{"client_id":"a","secret_hash":"plain"}]})", "--hash-secret");
  refuse(R"({"applications":[{"client_id":"a"}]})", "\"secret_hash\" is required");
  refuse(R"({"tenant":"a/b","applications":[]})", "one URL path segment");
  refuse(R"({"token_lifetime_s":0,"applications":[]})", "token_lifetime_s");
  refuse(R"({"colour":"blue"})", "unknown setting 'colour'");
}
