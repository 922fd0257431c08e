#pragma once
// librdkafka's mock cluster (tests/support/kafka_mock_main.cpp) as a child process: the real Kafka
// wire protocol on 127.0.0.1, gone when the object goes.
#include <sys/types.h>

#include <string>

namespace krest::test {

class KafkaMock {
 public:
  explicit KafkaMock(int brokers = 3);
  ~KafkaMock();
  KafkaMock(const KafkaMock&) = delete;
  KafkaMock& operator=(const KafkaMock&) = delete;

  const std::string& bootstrap() const { return bootstrap_; }
  // The mock has no CreateTopics API: tests make their topics here. Throws on failure.
  void create_topic(const std::string& name, int partitions, int replication = 1);
  void broker_down(int id);
  void broker_up(int id);

 private:
  void command(const std::string& line);

  pid_t pid_ = -1;
  int to_ = -1;    // its stdin
  int from_ = -1;  // its stdout
  std::string bootstrap_;
};

// "kafka" when the suite runs against the Kafka backend (KREST_TEST_BACKEND=kafka), else "embedded".
std::string backend_under_test();

}  // namespace krest::test
