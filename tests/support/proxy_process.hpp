#pragma once
// A real krest-proxy binary started for a test on 127.0.0.1, port 0. It is stopped (SIGTERM, then
// SIGKILL) when the object goes away, so no test leaves a server behind.
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace krest::test {

class ProxyProcess {
 public:
  // Starts krest-proxy with --data-dir and --listen 127.0.0.1:0 plus `args`, and waits (10 s at most)
  // for its "listening on" line.
  explicit ProxyProcess(std::filesystem::path data_dir, std::vector<std::string> args = {});
  ~ProxyProcess();
  ProxyProcess(const ProxyProcess&) = delete;
  ProxyProcess& operator=(const ProxyProcess&) = delete;

  unsigned short port() const { return port_; }
  const std::string& url() const { return url_; }
  std::string ca_file() const { return (data_dir_ / "tls" / "cert.pem").string(); }
  pid_t pid() const { return pid_; }
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
};

// The path of the built krest-proxy binary.
std::string proxy_binary();

}  // namespace krest::test
