#pragma once
// A real krest-proxy binary started for a test on 127.0.0.1, port 0. It is stopped (SIGTERM, then
// SIGKILL) when the object goes away, so no test leaves a server behind.
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace krest::test {

class HttpsClient;

class ProxyProcess {
 public:
  // Starts krest-proxy with --data-dir and --listen 127.0.0.1:0 (unless `args` name another) plus `args`, and waits (10
  // s at most) for its "listening on" line. Unless `args` choose --auth or --authority-file themselves, the proxy runs
  // its development authority with the test application (support/test_authority.hpp) and requires its tokens, as a
  // user's proxy would.
  explicit ProxyProcess(std::filesystem::path data_dir, std::vector<std::string> args = {});
  // The same with the process's open-file limit (soft and hard) set to `open_file_limit`.
  ProxyProcess(std::filesystem::path data_dir, std::vector<std::string> args, long open_file_limit);
  ~ProxyProcess();
  ProxyProcess(const ProxyProcess&) = delete;
  ProxyProcess& operator=(const ProxyProcess&) = delete;

  unsigned short port() const { return port_; }
  const std::string& url() const { return url_; }
  std::string ca_file() const { return (data_dir_ / "tls" / "cert.pem").string(); }
  pid_t pid() const { return pid_; }
  bool tls() const { return url_.rfind("https", 0) == 0; }
  // A token for the test application from the proxy's authority, as "Bearer ..." (fetched once,
  // trusting `ca_file`, default ca_file()).
  const std::string& bearer(const std::string& ca_file = {}) const;
  // A new connection to the proxy (trusting `ca_file`, default ca_file()), carrying bearer() when
  // the proxy runs the test authority.
  class HttpsClient client(int read_timeout_ms = 10000, std::string ca_file = {}) const;
  bool has_test_authority() const { return test_authority_; }
  // Everything the proxy wrote to stderr so far.
  std::string log() const;

  void kill9();                           // SIGKILL, and reap it
  int terminate(int timeout_ms = 15000);  // SIGTERM; returns the exit status (-1 if it had to be killed)

 private:
  std::filesystem::path data_dir_;
  std::filesystem::path log_path_;
  pid_t pid_ = -1;
  unsigned short port_ = 0;
  std::string url_;
  mutable std::string bearer_;
  bool test_authority_ = false;
};

// The path of the built krest-proxy binary.
std::string proxy_binary();

}  // namespace krest::test
