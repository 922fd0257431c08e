// krest produce: records from arguments or stdin lines, each result printed in input order.
#include <CLI/CLI.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstdio>
#include <iostream>

#include "cli/run_command.hpp"
#include "cli/usage_error.hpp"
#include "krest/producer.hpp"
#include "api/utf8.hpp"
#include "cli/subcommand.hpp"
#include "quick/quick_commands.hpp"

namespace asio = boost::asio;

namespace krest::cli {
namespace {

asio::awaitable<int> produce(Client& client, const ProduceOptions& o, const std::vector<std::string>& values) {
  // A few records from a terminal or a script: a proxy that cannot be reached is reported within
  // seconds, not after the engine's two minutes of retries.
  ProducerOptions settings;
  settings.delivery_timeout = std::chrono::seconds(15);
  Producer producer(client, settings);
  std::vector<Delivery> results(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    Record record;
    std::string_view text = values[i];
    if (o.has_key) {
      record.key = o.key;
    } else if (!o.key_delimiter.empty()) {
      auto at = text.find(o.key_delimiter);
      if (at != std::string_view::npos) {
        record.key.emplace(text.substr(0, at));
        text.remove_prefix(at + o.key_delimiter.size());
      }
    }
    record.value.assign(text);
    record.value_json = o.json_values;
    if (o.partition >= 0) record.partition = static_cast<std::int32_t>(o.partition);
    DeliveryCallback on_delivery = [&results, i](const Delivery& d) { results[i] = d; };
    co_await producer.send(o.topic, std::move(record), on_delivery);
  }
  co_await producer.close();
  int failed = 0;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& d = results[i];
    if (o.json) {
      boost::json::object line{{"partition", d.partition}, {"offset", d.offset}};
      if (!d.ok()) line = {{"error", d.error->what()}};
      std::printf("%s\n", boost::json::serialize(line).c_str());
    } else if (d.ok()) {
      std::printf("partition %d offset %lld\n", d.partition, static_cast<long long>(d.offset));
    } else {
      std::printf("failed: %s\n", d.error->what());
    }
    failed += !d.ok();
  }
  if (failed) {
    // The first reason in the summary too: the per-record lines went to stdout.
    std::string first;
    for (const auto& d : results)
      if (!d.ok()) {
        first = d.error->what();
        break;
      }
    std::fprintf(stderr, "krest produce: %d of %zu records failed; the first: %s\n", failed, results.size(),
                 first.c_str());
  }
  co_return failed ? kExitFailed : kExitOk;
}

}  // namespace

Subcommand produce_subcommand() {
  auto o = std::make_shared<ProduceOptions>();
  auto values = std::make_shared<std::vector<std::string>>();
  Subcommand s{"produce", "Send records given as arguments, or one per stdin line"};
  s.define = [o](CLI::App& app) -> std::vector<CLI::App*> {
    app.add_option("values", o->values, "record values (none: read stdin)")->type_name("VALUE...");
    app.add_option("-t,--topic", o->topic, "the topic")->required();
    app.add_option_function<std::string>(
           "-k,--key",
           [o](const std::string& k) {
             o->key = k;
             o->has_key = true;
           },
           "the key of every record")
        ->type_name("KEY");
    app.add_option("-K,--key-delimiter", o->key_delimiter, "each value is KEY<DELIM>VALUE")->excludes("--key");
    app.add_option("-p,--partition", o->partition, "the partition (default: by key, or spread)")
        ->check(CLI::Range(0, INT32_MAX));
    app.add_flag("--json-values", o->json_values, "values are JSON text, sent as JSON");
    app.add_flag("--json", o->json, "print each result as a JSON object");
    app.footer("Examples:\n"
               "  krest produce -t events 'first record' 'second record'\n"
               "  printf 'user-1:{\"n\":1}\\n' | krest produce -t events -K : --json-values\n"
               "  krest produce -t events -p 0 -k sensor-7 42 --json");
    return {&app};
  };
  s.check = [o, values] {
    require_topic_name(o->topic);
    *values = o->values;
    if (values->empty()) {
      std::string line;
      while (std::getline(std::cin, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) values->push_back(line);
      }
    }
    if (values->empty()) throw UsageError("no records: give values as arguments or lines on stdin");
    for (std::size_t i = 0; i < values->size(); ++i) {
      std::string_view v = (*values)[i];
      if (!o->key_delimiter.empty() && !o->has_key)
        if (auto at = v.find(o->key_delimiter); at != std::string_view::npos) v.remove_prefix(at + o->key_delimiter.size());
      if (!api::valid_utf8(v)) throw UsageError("value " + std::to_string(i + 1) + " is not valid UTF-8: records carry text");
      boost::json::error_code ec;
      if (o->json_values && (boost::json::parse(boost::json::string_view(v.data(), v.size()), ec), ec))
        throw UsageError("value " + std::to_string(i + 1) + " ('" + std::string(v.substr(0, 40)) +
                         (v.size() > 40 ? "...'" : "'") + ") is not JSON (" + ec.message() +
                         "): --json-values sends values as JSON text");
    }
  };
  s.command = [o, values](Client& client, StopRequest&) { return produce(client, *o, *values); };
  return s;
}

}  // namespace krest::cli
