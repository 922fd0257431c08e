#include "server/tls_setup.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <memory>
#include <stdexcept>

namespace krest::proxy {
namespace fs = std::filesystem;
namespace {

struct Deleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(std::FILE* f) const { std::fclose(f); }
};
template <class T>
using Owned = std::unique_ptr<T, Deleter>;

void add_extension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  Owned<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || !X509_add_ext(cert, ext.get(), -1)) throw std::runtime_error("cannot add a certificate extension");
}

void write_pem(const fs::path& path, mode_t mode, const std::function<bool(std::FILE*)>& write) {
  fs::path tmp = path;
  tmp += ".tmp";
  // Created with its final mode, and only created (not an existing file or a link someone put
  // there): a private key is never readable by others, not even while it is being written.
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  Owned<std::FILE> f(fd >= 0 ? ::fdopen(fd, "w") : nullptr);
  if (!f) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot create " + tmp.string() + ": " + std::strerror(errno));
  }
  if (::fchmod(fd, mode) != 0 || !write(f.get()) || std::fflush(f.get()) != 0 || ::fsync(fd) != 0)
    throw std::runtime_error("cannot write " + tmp.string());
  f.reset();
  fs::rename(tmp, path);
}

}  // namespace

TlsFiles ensure_self_signed(const fs::path& dir) {
  TlsFiles files{(dir / "cert.pem").string(), (dir / "key.pem").string(), false};
  if (fs::exists(files.cert) && fs::exists(files.key)) return files;
  fs::create_directories(dir);

  Owned<EVP_PKEY> key(EVP_EC_gen("P-256"));
  Owned<X509> cert(X509_new());
  if (!key || !cert) throw std::runtime_error("cannot generate a TLS key");
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  // Valid from a day ago: a client whose clock is hours behind still accepts a certificate made a
  // minute ago (tests/cli/clock_skew_test.sh runs krest 3 hours behind).
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -24L * 3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 825L * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("krest-proxy development"),
                             -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  // Self-signed, so clients trust it by naming it as their CA file (curl --cacert, requests verify=).
  add_extension(cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_extension(cert.get(), NID_key_usage, "critical,digitalSignature,keyCertSign");
  add_extension(cert.get(), NID_ext_key_usage, "serverAuth");
  add_extension(cert.get(), NID_subject_key_identifier, "hash");
  add_extension(cert.get(), NID_authority_key_identifier, "keyid:always");
  add_extension(cert.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1");
  if (!X509_sign(cert.get(), key.get(), EVP_sha256())) throw std::runtime_error("cannot sign the TLS certificate");

  write_pem(files.key, 0600, [&](std::FILE* f) {
    return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  });
  write_pem(files.cert, 0644, [&](std::FILE* f) { return PEM_write_X509(f, cert.get()) == 1; });
  files.generated = true;
  return files;
}

boost::asio::ssl::context make_server_tls(const TlsFiles& files) {
  namespace ssl = boost::asio::ssl;
  ssl::context ctx(ssl::context::tls_server);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                  ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  // An idle connection gives back OpenSSL's record buffers (~34 KiB) until its next request:
  // thousands of idle keep-alive connections are the common case in front of many clients.
  SSL_CTX_set_mode(ctx.native_handle(), SSL_MODE_RELEASE_BUFFERS);
  // TLS 1.2 with forward-secret AEAD suites only (no CBC: Lucky13 and its kin); TLS 1.3's are all
  // AEAD already.
  if (SSL_CTX_set_cipher_list(ctx.native_handle(), "ECDHE+AESGCM:ECDHE+CHACHA20") != 1)
    throw std::runtime_error("cannot set the TLS 1.2 cipher suites");
  boost::system::error_code ec;
  ctx.use_certificate_chain_file(files.cert, ec);
  if (ec) throw std::runtime_error("cannot use TLS certificate '" + files.cert + "': " + ec.message());
  ctx.use_private_key_file(files.key, ssl::context::pem, ec);
  if (ec) throw std::runtime_error("cannot use TLS key '" + files.key + "': " + ec.message());
  return ctx;
}

}  // namespace krest::proxy
