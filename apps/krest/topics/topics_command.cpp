// krest topics list|create|delete|describe: topic administration, as a table or --json.
#include "topics/topics_command.hpp"

#include <CLI/CLI.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cstdio>

#include "cli/run_command.hpp"
#include "cli/usage_error.hpp"
#include "cli/subcommand.hpp"
#include "krest/admin.hpp"

namespace asio = boost::asio;

namespace krest::cli {
namespace {

std::string broker_ids(const std::vector<Broker>& brokers) {
  std::string out;
  for (const auto& b : brokers) out += (out.empty() ? "" : ",") + std::to_string(b.id);
  return out.empty() ? "-" : out;
}

boost::json::value partition_json(const PartitionInfo& p) {
  boost::json::array replicas, isr;
  for (const auto& b : p.replicas) replicas.push_back(b.id);
  for (const auto& b : p.isr) isr.push_back(b.id);
  return boost::json::object{{"partition", p.partition},
                             {"earliest_offset", p.earliest_offset},
                             {"latest_offset", p.latest_offset},
                             {"leader", p.leader.id},
                             {"replicas", std::move(replicas)},
                             {"isr", std::move(isr)}};
}

asio::awaitable<int> list(Admin& admin, const TopicsOptions& o) {
  auto topics = co_await admin.list_topics();
  std::sort(topics.begin(), topics.end());
  if (o.json) {
    boost::json::array names;
    for (const auto& t : topics) names.emplace_back(t);
    std::printf("%s\n", boost::json::serialize(names).c_str());
  } else {
    for (const auto& t : topics) std::printf("%s\n", t.c_str());
  }
  co_return kExitOk;
}

asio::awaitable<int> create(Admin& admin, const TopicsOptions& o) {
  TopicSettings settings;
  if (o.partitions > 0) settings.partitions = static_cast<std::int32_t>(o.partitions);
  if (o.replication_factor > 0) settings.replication_factor = static_cast<std::int32_t>(o.replication_factor);
  for (const auto& kv : o.properties) {
    auto eq = kv.find('=');
    settings.properties[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  try {
    co_await admin.create_topic(o.topic, settings);
  } catch (const Error& e) {
    if (e.status() == 409 && o.if_not_exists) {
      std::fprintf(stderr, "krest topics: '%s' exists already\n", o.topic.c_str());
      co_return kExitOk;
    }
    throw;
  }
  std::fprintf(stderr, "krest topics: created '%s'\n", o.topic.c_str());
  co_return kExitOk;
}

asio::awaitable<int> remove(Admin& admin, const TopicsOptions& o) {
  co_await admin.delete_topic(o.topic);
  std::fprintf(stderr, "krest topics: deleted '%s'\n", o.topic.c_str());
  co_return kExitOk;
}

asio::awaitable<int> describe(Admin& admin, const TopicsOptions& o) {
  auto info = co_await admin.describe(o.topic);
  auto& partitions = info.partitions;
  std::sort(partitions.begin(), partitions.end(),
            [](const PartitionInfo& a, const PartitionInfo& b) { return a.partition < b.partition; });
  if (o.json) {
    boost::json::array ps;
    for (const auto& p : partitions) ps.push_back(partition_json(p));
    boost::json::object doc{{"topic", o.topic}, {"partitions", std::move(ps)}};
    if (info.properties) {
      boost::json::object props;
      for (const auto& [name, value] : *info.properties) props[name] = value;
      doc["properties"] = std::move(props);
    }
    std::printf("%s\n", boost::json::serialize(doc).c_str());
    co_return kExitOk;
  }
  std::printf("topic %s: %zu partition(s)\n", o.topic.c_str(), partitions.size());
  // A proxy that does not report properties (HDInsight's) gets no line rather than a wrong "none".
  if (info.properties) {
    std::string line;
    for (const auto& [name, value] : *info.properties) line += (line.empty() ? "" : ", ") + name + "=" + value;
    std::printf("properties: %s\n", line.empty() ? "(the proxy's defaults)" : line.c_str());
  }
  std::printf("%9s  %15s  %15s  %12s  %6s  %-12s  %-12s\n", "PARTITION", "EARLIEST", "LATEST", "RECORDS", "LEADER",
              "REPLICAS", "ISR");
  for (const auto& p : partitions)
    std::printf("%9d  %15lld  %15lld  %12lld  %6d  %-12s  %-12s\n", p.partition,
                static_cast<long long>(p.earliest_offset), static_cast<long long>(p.latest_offset),
                static_cast<long long>(p.latest_offset - p.earliest_offset), p.leader.id,
                broker_ids(p.replicas).c_str(), broker_ids(p.isr).c_str());
  co_return kExitOk;
}

asio::awaitable<int> topics(Client& client, const TopicsOptions& o) {
  Admin admin(client);
  if (o.action == "list") co_return co_await list(admin, o);
  if (o.action == "create") co_return co_await create(admin, o);
  if (o.action == "delete") co_return co_await remove(admin, o);
  co_return co_await describe(admin, o);
}

}  // namespace

Subcommand topics_subcommand() {
  auto o = std::make_shared<TopicsOptions>();
  Subcommand s{"topics", "List, create, delete and describe topics"};
  s.define = [o](CLI::App& app) -> std::vector<CLI::App*> {
    app.require_subcommand(1);
    app.footer("Examples:\n"
               "  krest topics list\n"
               "  krest topics create events --partitions 6 --topic-config retention.ms=86400000\n"
               "  krest topics describe events --json\n"
               "  krest topics delete events");
    auto* list = app.add_subcommand("list", "List the topics, one per line");
    list->add_flag("--json", o->json, "as a JSON array");
    list->callback([o] { o->action = "list"; });

    auto* create = app.add_subcommand("create", "Create a topic");
    create->add_option("topic", o->topic, "its name")->required();
    create->add_option("--partitions", o->partitions, "partitions (default: the proxy's)")->check(CLI::Range(1, 100000));
    create->add_option("-r,--replication-factor", o->replication_factor, "replicas (default: the proxy's)")
        ->check(CLI::Range(1, 100));
    create->add_option("--topic-config", o->properties, "a topic property, e.g. retention.ms=86400000 (repeatable)")
        ->type_name("KEY=VALUE")
        ->check([](const std::string& kv) {
          auto eq = kv.find('=');
          return eq == std::string::npos || eq == 0 ? "'" + kv + "' is not KEY=VALUE" : std::string();
        });
    create->add_flag("--if-not-exists", o->if_not_exists, "succeed when the topic exists already");
    create->callback([o] { o->action = "create"; });

    auto* remove = app.add_subcommand("delete", "Delete a topic and its records (a krest-proxy extension)");
    remove->add_option("topic", o->topic, "its name")->required();
    remove->callback([o] { o->action = "delete"; });

    auto* describe = app.add_subcommand("describe", "Show a topic's partitions: offsets, leader, replicas");
    describe->add_option("topic", o->topic, "its name")->required();
    describe->add_flag("--json", o->json, "as a JSON object");
    describe->callback([o] { o->action = "describe"; });
    return {list, create, remove, describe};
  };
  s.check = [o] {
    if (o->action != "list")
      require_topic_name(o->topic);
  };
  s.command = [o](Client& client, StopRequest&) { return topics(client, *o); };
  return s;
}

}  // namespace krest::cli
