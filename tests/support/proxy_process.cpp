#include "support/proxy_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "support/https_client.hpp"
#include "support/test_authority.hpp"

namespace krest::test {

std::string proxy_binary() { return KREST_PROXY_BIN; }

ProxyProcess::ProxyProcess(std::filesystem::path data_dir, std::vector<std::string> args)
    : ProxyProcess(std::move(data_dir), std::move(args), 0) {}

ProxyProcess::ProxyProcess(std::filesystem::path data_dir, std::vector<std::string> args, long open_file_limit)
    : data_dir_(std::move(data_dir)) {
  static int counter = 0;
  log_path_ =
      data_dir_.parent_path() / ("proxy-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + ".log");
  std::vector<std::string> argv = {proxy_binary(), "--data-dir", data_dir_.string()};
  if (std::find(args.begin(), args.end(), "--listen") == args.end())
    argv.insert(argv.end(), {"--listen", "127.0.0.1:0"});
  bool chose_auth = false;
  for (const auto& a : args) chose_auth = chose_auth || a == "--auth" || a == "--authority-file";
  test_authority_ = !chose_auth;
  if (!chose_auth) {
    const auto authority = data_dir_.parent_path() / ("authority-" + std::to_string(counter) + ".json");
    write_authority_file(authority);
    argv.insert(argv.end(), {"--authority-file", authority.string(), "--auth-allowed-groups", kAllowedGroup});
  }
  argv.insert(argv.end(), args.begin(), args.end());

  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::dup2(out[1], 1);
    if (open_file_limit > 0) {
      const rlimit limit{static_cast<rlim_t>(open_file_limit), static_cast<rlim_t>(open_file_limit)};
      ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    int err = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (err >= 0) ::dup2(err, 2);
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    ::execv(cargv[0], cargv.data());
    ::_exit(127);
  }
  ::close(out[1]);

  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (line.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{out[0], POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[256];
    ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  const std::string marker = "listening on ";
  auto at = line.find(marker);
  if (at == std::string::npos) {
    kill9();
    throw std::runtime_error("krest-proxy did not start; stdout: '" + line + "'; stderr: " + log());
  }
  url_ = line.substr(at + marker.size(), line.find('\n', at) - at - marker.size());
  port_ = static_cast<unsigned short>(std::stoi(url_.substr(url_.rfind(':') + 1)));
}

HttpsClient ProxyProcess::client(int read_timeout_ms, std::string ca) const {
  if (ca.empty() && tls()) ca = ca_file();
  HttpsClient c(port_, ca, read_timeout_ms);
  if (test_authority_) c.set_authorization(bearer(ca));
  return c;
}

const std::string& ProxyProcess::bearer(const std::string& ca) const {
  if (!bearer_.empty()) return bearer_;
  HttpsClient c(port_, !tls() ? "" : ca.empty() ? ca_file() : ca);
  const std::string form = std::string("grant_type=client_credentials&client_id=") + kClientId +
                           "&client_secret=" + kClientSecret + "&scope=https%3A%2F%2Fhib.azurehdinsight.net%2F.default";
  auto reply = c.request(boost::beast::http::verb::post, std::string("/") + kTenant + "/oauth2/v2.0/token", form,
                         "application/x-www-form-urlencoded");
  if (reply.result_int() != 200) throw std::runtime_error("no token from the test proxy: " + reply.body());
  bearer_ = "Bearer " + std::string(boost::json::parse(reply.body()).at("access_token").as_string());
  return bearer_;
}

ProxyProcess::~ProxyProcess() {
  if (pid_ > 0) terminate();
}

std::string ProxyProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void ProxyProcess::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

int ProxyProcess::terminate(int timeout_ms) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill9();
  return -1;
}

}  // namespace krest::test
