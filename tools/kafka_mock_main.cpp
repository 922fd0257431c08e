// krest_kafka_mock: librdkafka's mock cluster (the real Kafka wire protocol, on loopback) as a
// process that tests and benchmarks drive through stdin:
//   create TOPIC PARTITIONS [REPLICATION]   make a topic (the mock has no CreateTopics API)
//   down BROKER / up BROKER                 take a broker off the network and back
//   quit (or end of input)                  stop
// It prints "bootstrap HOST:PORT,..." first, then "ok" or "error ..." after each command.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>

int main(int argc, char** argv) {
  const int brokers = argc > 1 ? std::atoi(argv[1]) : 3;
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The mock listens on 127.0.0.1 only; no topic is created by a client asking for it.
  rd_kafka_conf_set(conf, "log_level", "3", error, sizeof error);
  // Its connections send at once (TCP_NODELAY), as a Kafka broker's do. With Nagle's algorithm a
  // response written while the one before was unacknowledged waited for the client's delayed ACK:
  // up to 40 ms per pipelined request (500 records over 81 partitions took 50 ms, now 10).
  rd_kafka_conf_set(conf, "socket.nagle.disable", "true", error, sizeof error);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (!rk) {
    std::fprintf(stderr, "krest_kafka_mock: %s\n", error);
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(rk, brokers);
  if (!cluster) {
    std::fprintf(stderr, "krest_kafka_mock: cannot start a mock cluster\n");
    return 1;
  }
  std::printf("bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(cluster));
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string command;
    in >> command;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (command == "create") {
      std::string topic;
      int partitions = 1, replication = 1;
      in >> topic >> partitions;
      if (!(in >> replication)) replication = 1;
      err = rd_kafka_mock_topic_create(cluster, topic.c_str(), partitions, replication);
    } else if (command == "down" || command == "up") {
      int id = 0;
      in >> id;
      err = command == "down" ? rd_kafka_mock_broker_set_down(cluster, id) : rd_kafka_mock_broker_set_up(cluster, id);
    } else if (command == "quit") {
      break;
    } else if (!command.empty()) {
      std::printf("error unknown command '%s'\n", command.c_str());
      std::fflush(stdout);
      continue;
    } else {
      continue;
    }
    if (err)
      std::printf("error %s\n", rd_kafka_err2str(err));
    else
      std::printf("ok\n");
    std::fflush(stdout);
  }
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(rk);
  return 0;
}
