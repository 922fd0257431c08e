#include "support/kafka_mock.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>

namespace krest::test {
namespace {

// One line from `fd`, waiting up to 10 s.
std::string read_line(int fd) {
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  char c = 0;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
      throw std::runtime_error("krest_kafka_mock did not answer");
    if (::read(fd, &c, 1) != 1) throw std::runtime_error("krest_kafka_mock went away");
    if (c == '\n') return line;
    line += c;
  }
}

}  // namespace

std::string backend_under_test() {
  const char* b = std::getenv("KREST_TEST_BACKEND");
  return b && std::string(b) == "kafka" ? "kafka" : "embedded";
}

KafkaMock::KafkaMock(int brokers) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    std::string count = std::to_string(brokers);
    char* argv[] = {const_cast<char*>(KREST_KAFKA_MOCK_BIN), count.data(), nullptr};
    ::execv(argv[0], argv);
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  to_ = in[1];
  from_ = out[0];
  auto line = read_line(from_);
  if (line.rfind("bootstrap ", 0) != 0) throw std::runtime_error("krest_kafka_mock: " + line);
  bootstrap_ = line.substr(10);
}

KafkaMock::~KafkaMock() {
  if (to_ >= 0) ::close(to_);  // end of input: it stops
  if (pid_ > 0) {
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      ::usleep(20000);
    }
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  if (from_ >= 0) ::close(from_);
}

void KafkaMock::command(const std::string& line) {
  std::string text = line + "\n";
  if (::write(to_, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    throw std::runtime_error("krest_kafka_mock went away");
  auto answer = read_line(from_);
  if (answer != "ok") throw std::runtime_error("krest_kafka_mock: " + line + ": " + answer);
}

void KafkaMock::create_topic(const std::string& name, int partitions, int replication) {
  command("create " + name + " " + std::to_string(partitions) + " " + std::to_string(replication));
}

void KafkaMock::broker_down(int id) { command("down " + std::to_string(id)); }
void KafkaMock::broker_up(int id) { command("up " + std::to_string(id)); }

}  // namespace krest::test
