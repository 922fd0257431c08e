#include "storage/kafka/kafka_stats.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstdio>

namespace krest::proxy {
namespace {

double number(const boost::json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v && v->is_number() ? v->to_number<double>() : 0;
}

}  // namespace

void KafkaStats::update(std::string_view json) {
  boost::json::error_code ec;
  auto doc = boost::json::parse(json, ec);
  if (ec || !doc.is_object()) return;
  const auto& o = doc.get_object();
  const auto* name = o.if_contains("name");
  if (!name || !name->is_string()) return;
  Client c;
  c.msg_cnt = number(o, "msg_cnt");
  c.msg_size = number(o, "msg_size");
  c.tx = number(o, "tx");
  c.tx_bytes = number(o, "tx_bytes");
  c.rx = number(o, "rx");
  c.rx_bytes = number(o, "rx_bytes");
  c.txretries = number(o, "txretries");
  double rtt_sum = 0;
  int rtt_n = 0;
  if (const auto* brokers = o.if_contains("brokers"); brokers && brokers->is_object()) {
    for (const auto& [id, b] : brokers->get_object()) {
      const auto* bo = b.if_object();
      if (!bo || id.find("GroupCoordinator") != std::string_view::npos) continue;
      if (const auto* nodeid = bo->if_contains("nodeid"); nodeid && nodeid->is_int64() && nodeid->get_int64() < 0)
        continue;  // the bootstrap entries, not brokers
      c.brokers += 1;
      const auto* state = bo->if_contains("state");
      if (state && state->is_string() && state->get_string() == "UP") c.brokers_up += 1;
      if (const auto* rtt = bo->if_contains("rtt"); rtt && rtt->is_object()) {
        double avg = number(rtt->get_object(), "avg");
        if (avg > 0) {
          rtt_sum += avg;
          ++rtt_n;
        }
      }
    }
  }
  c.rtt_avg_us = rtt_n ? rtt_sum / rtt_n : 0;
  std::lock_guard lock(mu_);
  clients_[std::string(name->get_string())] = c;
}

void KafkaStats::append_metrics(std::string& out) const {
  std::lock_guard lock(mu_);
  if (clients_.empty()) return;
  struct Gauge {
    const char* name;
    const char* help;
    double Client::*field;
  };
  static const Gauge gauges[] = {
      {"krest_kafka_queued_messages", "Messages waiting in librdkafka's queues", &Client::msg_cnt},
      {"krest_kafka_queued_bytes", "Bytes of messages waiting in librdkafka's queues", &Client::msg_size},
      {"krest_kafka_requests_sent", "Requests sent to brokers", &Client::tx},
      {"krest_kafka_bytes_sent", "Bytes sent to brokers", &Client::tx_bytes},
      {"krest_kafka_responses_received", "Responses received from brokers", &Client::rx},
      {"krest_kafka_bytes_received", "Bytes received from brokers", &Client::rx_bytes},
      {"krest_kafka_request_retries", "Requests sent again", &Client::txretries},
      {"krest_kafka_brokers_up", "Brokers with an open connection", &Client::brokers_up},
      {"krest_kafka_brokers", "Brokers known", &Client::brokers},
      {"krest_kafka_broker_rtt_microseconds", "Average broker round trip, over brokers", &Client::rtt_avg_us},
  };
  char line[256];
  for (const auto& g : gauges) {
    out += std::string("# HELP ") + g.name + " " + g.help + " (librdkafka statistics).\n# TYPE " + g.name + " gauge\n";
    for (const auto& [client, c] : clients_) {
      std::snprintf(line, sizeof line, "%s{client=\"%s\"} %.0f\n", g.name, client.c_str(), c.*(g.field));
      out += line;
    }
  }
}

}  // namespace krest::proxy
