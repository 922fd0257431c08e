// krest load FILE... --topic T: streams records from files into a topic, with a result for every
// record: acknowledged, or written with its file and line to the reject file.
#include "load/load_command.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <filesystem>

#include "cli/atomic_file.hpp"
#include "cli/concurrency_option.hpp"
#include "cli/plain_json.hpp"
#include "cli/run_command.hpp"
#include "cli/subcommand.hpp"
#include "cli/terminal_status.hpp"
#include "cli/usage_error.hpp"
#include "krest/admin.hpp"
#include "krest/producer.hpp"
#include "load/line_reader.hpp"
#include "load/load_checkpoint.hpp"
#include "load/load_run.hpp"
#include "load/reject_file.hpp"
#include "load/row_reader.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace krest::cli {
namespace {

// Records sent and not yet resolved, at most: past this the reader waits, so that one record
// retried for a long time cannot make the window of its successors grow without bound.
constexpr std::size_t kMaxUnresolved = 1 << 20;

std::uint64_t file_size(const std::string& path) {
  struct stat st {};
  if (path == "-" || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  return static_cast<std::uint64_t>(st.st_size);
}

// Reads the checkpoint, if any, and checks it belongs to this load. Returns false when there is none.
bool read_checkpoint(const LoadOptions& o, const std::vector<std::uint64_t>& sizes, LoadCheckpoint& out) {
  std::string text;
  if (o.checkpoint.empty() || !read_file_if_exists(o.checkpoint, text)) return false;
  out = parse_load_checkpoint(text, o.checkpoint);
  auto refuse = [&](const std::string& why) {
    return UsageError("checkpoint '" + o.checkpoint + "' " + why +
                      "; use another --checkpoint file, or delete it to start afresh");
  };
  if (out.topic != o.topic) throw refuse("is for topic '" + out.topic + "'");
  if (out.inputs != o.inputs) throw refuse("is for other input files");
  for (std::size_t i = 0; i < sizes.size(); ++i)
    if (sizes[i] != out.sizes[i])
      throw refuse("was written when '" + o.inputs[i] + "' had " + std::to_string(out.sizes[i]) + " bytes, it has " +
                   std::to_string(sizes[i]) + " now");
  return true;
}

ProducerOptions producer_options(const LoadOptions& o) {
  ProducerOptions p;
  p.batch_records = static_cast<std::size_t>(o.batch_records);
  p.batch_bytes = static_cast<std::size_t>(o.batch_bytes);
  p.linger = std::chrono::milliseconds(o.linger_ms);
  p.max_in_flight = parse_concurrency(o.in_flight, "--in-flight", ProducerOptions{}.max_in_flight.max, 1024);
  p.buffer_bytes = static_cast<std::size_t>(o.buffer_mb) << 20;
  return p;
}

// `error`: why the load stopped early, when it did (carried in --json's object too). `producer`:
// what the requests in flight came to, for --json (a starting point for pinning them).
void print_summary(LoadRun& run, const Client& client, const ProducerStats& producer, bool interrupted,
                   const std::string& error) {
  run.status.clear();
  const auto& o = run.options;
  double s = run.seconds();
  double per_second = s > 0 ? 1 / s : 0;
  const auto m = client.metrics();
  const auto retries = m.retries;
  auto rejected = run.refused + run.invalid;
  std::fprintf(stderr,
               "krest load: %s records (%s) into '%s' in %.2f s: %s records/s, %.1f MB/s; %llu retries, "
               "%llu rejected%s\n",
               with_thousands(run.acknowledged).c_str(), megabytes(run.acknowledged_bytes).c_str(), o.topic.c_str(), s,
               with_thousands(static_cast<std::uint64_t>(static_cast<double>(run.acknowledged) * per_second)).c_str(),
               static_cast<double>(run.acknowledged_bytes) / 1e6 * per_second,
               static_cast<unsigned long long>(retries), static_cast<unsigned long long>(rejected),
               interrupted ? " (interrupted)" : "");
  if (m.compressed_requests > 0 && m.bytes_sent > 0)
    std::fprintf(stderr, "krest load: %llu of %llu requests compressed; %s sent for %s of records (%.1fx)\n",
                 static_cast<unsigned long long>(m.compressed_requests), static_cast<unsigned long long>(m.requests),
                 megabytes(m.bytes_sent).c_str(), megabytes(m.bytes_sent_plain).c_str(),
                 static_cast<double>(m.bytes_sent_plain) / static_cast<double>(m.bytes_sent));
  if (rejected > 0)
    std::fprintf(stderr, "krest load: %llu invalid lines and %llu records refused by the proxy are in '%s'\n",
                 static_cast<unsigned long long>(run.invalid), static_cast<unsigned long long>(run.refused),
                 o.reject_file.c_str());
  if (interrupted && !o.checkpoint.empty())
    std::fprintf(stderr, "krest load: run the same command again to continue from '%s'\n", o.checkpoint.c_str());
  if (o.json_summary) {
    boost::json::object doc{{"topic", o.topic},
                            {"records", run.acknowledged},
                            {"bytes", run.acknowledged_bytes},
                            {"seconds", s},
                            {"records_per_second", static_cast<double>(run.acknowledged) * per_second},
                            {"mb_per_second", static_cast<double>(run.acknowledged_bytes) / 1e6 * per_second},
                            {"retries", retries},
                            {"invalid", run.invalid},
                            {"refused", run.refused},
                            {"interrupted", interrupted},
                            {"requests", m.requests},
                            {"connections", m.connects},
                            {"in_flight_limit", producer.in_flight_limit}};
    if (!error.empty()) doc["error"] = error;
    std::fputs(plain_json(doc).c_str(), stdout);
  }
}

// The topic's partition count, with what to do when it does not exist.
asio::awaitable<std::int32_t> topic_partitions(Client& client, const LoadOptions& o) {
  Admin admin(client);
  std::int32_t partitions = 0;
  try {
    partitions = static_cast<std::int32_t>((co_await admin.describe_topic(o.topic)).size());
  } catch (const Error& e) {
    if (e.kind() != Error::Kind::http || e.status() != 404) throw;
    throw std::runtime_error("topic '" + o.topic + "' does not exist (create it: krest topics create " + o.topic + ")");
  }
  if (o.partition >= partitions)
    throw UsageError("--partition " + std::to_string(o.partition) + ": topic '" + o.topic + "' has " +
                     std::to_string(partitions) + " partition(s)");
  co_return partitions;
}

// The run's shared state, from the checkpoint when this load resumes one.
std::shared_ptr<LoadRun> start_run(const LoadOptions& o, asio::any_io_executor ex, const LoadCheckpoint& checkpoint,
                                   bool resuming, const std::vector<std::uint64_t>& sizes) {
  auto run = std::make_shared<LoadRun>(o, std::move(ex), resuming);
  run->base = checkpoint;
  run->read_position = checkpoint.next;
  run->sizes = sizes;
  run->uncompressed.assign(sizes.size(), 0);
  bool sizes_known = true;
  for (auto size : sizes) sizes_known = sizes_known && size > 0;
  if (sizes_known)
    for (auto size : sizes) run->total_bytes += size;
  if (resuming)
    std::fprintf(stderr, "krest load: resuming from '%s' at %s line %llu\n", o.checkpoint.c_str(),
                 display_name(o.inputs[std::min(checkpoint.next.file, o.inputs.size() - 1)]).c_str(),
                 static_cast<unsigned long long>(checkpoint.next.line + 1));
  else if (auto moved = run->rejects.set_aside_earlier(); !moved.empty())
    std::fprintf(stderr, "krest load: %s\n", moved.c_str());
  return run;
}

// What the read loop shares between rows.
struct ReadLoop {
  ReadLoop(LoadRun& r, Producer& p, RecordFormat& f, std::int32_t n, const asio::any_io_executor& ex)
      : run(r),
        producer(p),
        format(f),
        partitions(n),
        pace(ex),
        by_round_robin(r.options.partitioner == "round-robin") {}

  LoadRun& run;
  Producer& producer;
  RecordFormat& format;
  std::int32_t partitions;
  asio::steady_timer pace;
  std::uint64_t sent = 0;
  std::uint64_t round_robin = 0;
  const bool by_round_robin;  // --partitioner, read once rather than per row
  Record record;

  // Whether `row` makes a record (in `record`); a row that cannot goes to the reject file.
  bool to_record(std::size_t file, const RowReader::Row& row) {
    const auto& o = run.options;
    using Problem = RowReader::Problem;
    if (row.problem == Problem::too_long) {
      ++run.invalid;
      run.reject_too_long(file, row.line, row.bytes, row.text);
      return false;
    }
    if (row.problem == Problem::cut_short || row.problem == Problem::unclosed) {
      ++run.invalid;
      run.reject(file, row.line,
                 row.problem == Problem::cut_short
                     ? "the input is damaged inside this line: what could be read of it is here"
                     : "a quoted field is not closed before the end of the file",
                 row.text);
      return false;
    }
    if (row.text.empty()) return false;
    if (auto e = format.parse(row.text, record); !e.empty()) {
      ++run.invalid;
      run.reject(file, row.line, e, row.text);
      return false;
    }
    if (o.partition >= 0)
      record.partition = static_cast<std::int32_t>(o.partition);
    else if (!record.partition && by_round_robin)
      record.partition = static_cast<std::int32_t>(round_robin++ % static_cast<std::uint64_t>(partitions));
    if (record.partition && *record.partition >= partitions) {
      ++run.invalid;
      run.reject(file, row.line,
                 "partition " + std::to_string(*record.partition) + " does not exist (the topic has " +
                     std::to_string(partitions) + ")",
                 row.text);
      return false;
    }
    return true;
  }

  asio::awaitable<void> send(const InputPosition& before, std::string_view text) {
    const auto& o = run.options;
    if (o.rate > 0) {
      auto due = run.started + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(static_cast<double>(sent) / o.rate));
      if (due > Clock::now() + 1ms) {
        pace.expires_at(due);
        co_await pace.async_wait(asio::as_tuple(asio::use_awaitable));
      }
    }
    record.tag = run.window.add(before, text);
    if (!producer.try_send(o.topic, record)) co_await producer.send(o.topic, std::move(record));
    ++sent;
    while (run.window.size() > kMaxUnresolved && !run.stopping) {
      pace.expires_after(5ms);
      co_await pace.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }

  // Reads every input from the run's position on, until the end or a stop; throws what stops it.
  asio::awaitable<void> read_inputs() {
    const auto& o = run.options;
    const char csv_delimiter = o.format.format == "csv" ? o.format.csv_delimiter : '\0';
    for (std::size_t file = run.read_position.file; file < o.inputs.size() && !run.stopping; ++file) {
      LineReader reader(o.inputs[file], static_cast<std::size_t>(o.max_line_bytes));
      RowReader rows(reader, csv_delimiter, static_cast<std::size_t>(o.max_line_bytes));
      RowReader::Row row;
      if (format.wants_header() && rows.next(row)) {
        std::string e = row.problem != RowReader::Problem::none ? "the header row cannot be read"
                                                                : format.read_header(row.text);
        if (!e.empty()) throw std::runtime_error(display_name(o.inputs[file]) + " line 1: " + e);
      }
      if (file == run.base.next.file && run.base.next.offset > reader.offset())
        reader.skip_to(run.base.next.offset, run.base.next.line);
      run.read_position = {file, reader.line_number(), reader.offset()};
      run.reader = &reader;
      while (!run.stopping && rows.next(row)) {
        const InputPosition before = run.read_position;
        run.read_position = {file, reader.line_number(), reader.offset()};
        if (to_record(file, row)) co_await send(before, row.text);
      }
      run.reader = nullptr;
      if (!run.stopping) {
        run.uncompressed[file] = reader.offset();
        run.read_position = {file + 1, 0, 0};
      }
    }
  }
};

// The result: every record sent has its result and the checkpoint is saved before the summary.
asio::awaitable<int> finish(Client& client, StopRequest& stop, LoadRun& run, Producer& producer,
                            std::exception_ptr failure, bool& summary_printed) {
  co_await producer.close();
  run.finished = true;
  run.ticker.cancel();
  const bool interrupted = stop.requested;
  const bool complete = !failure && !run.stopping && run.window.size() == 0;
  run.save_checkpoint(complete);
  std::string error = run.fatal;
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  print_summary(run, client, producer.stats(), interrupted, error);
  if (run.options.json_summary) summary_printed = true;  // the failure is in it: no second object
  if (failure) std::rethrow_exception(failure);
  if (!run.fatal.empty()) throw std::runtime_error(run.fatal);
  if (interrupted) co_return kExitInterrupted;
  co_return run.refused + run.invalid > 0 ? kExitFailed : kExitOk;
}

asio::awaitable<int> load(Client& client, StopRequest& stop, const LoadOptions& o,
                          std::shared_ptr<bool> summary_printed) {
  std::vector<std::uint64_t> sizes;
  for (const auto& input : o.inputs) sizes.push_back(file_size(input));
  LoadCheckpoint checkpoint;
  const bool resuming = read_checkpoint(o, sizes, checkpoint);
  if (resuming && checkpoint.complete) {
    std::fprintf(stderr, "krest load: '%s' says this load is complete (%llu records); nothing to do\n",
                 o.checkpoint.c_str(), static_cast<unsigned long long>(checkpoint.acknowledged));
    co_return kExitOk;
  }
  if (!resuming) checkpoint = {o.topic, o.inputs, sizes, {}, false, 0, 0};
  RecordFormat format(o.format);
  const std::int32_t partitions = co_await topic_partitions(client, o);

  auto ex = co_await asio::this_coro::executor;
  auto run = start_run(o, ex, checkpoint, resuming, sizes);
  stop.on_request = [run] { run->stopping = true; };
  if (stop.requested) run->stopping = true;  // interrupted while the topic was being looked up

  ProducerOptions producer_settings = producer_options(o);
  producer_settings.on_delivery = [r = run.get()](const Delivery& d) { r->delivered(d.tag, d); };
  Producer producer(client, producer_settings);
  asio::co_spawn(ex, tick(run), asio::detached);
  std::exception_ptr failure;
  try {
    ReadLoop loop(*run, producer, format, partitions, ex);
    co_await loop.read_inputs();
  } catch (...) {
    failure = std::current_exception();
    run->reader = nullptr;
  }
  co_return co_await finish(client, stop, *run, producer, failure, *summary_printed);
}

}  // namespace

Subcommand load_subcommand() {
  auto o = std::make_shared<LoadOptions>();
  Subcommand s{"load", "Load records from files (or stdin) into a topic"};
  s.define = [o](CLI::App& app) -> std::vector<CLI::App*> {
    app.add_option("files", o->inputs, "input files, plain or gzip; - for stdin")->required()->type_name("FILE...");
    app.add_option("-t,--topic", o->topic, "the topic to load into")->required();
    app.add_option("-f,--format", o->format.format, "lines, ndjson, json ({key,value,partition} per line) or csv")
        ->check(CLI::IsMember({"lines", "ndjson", "json", "csv"}));
    app.add_option("-k,--key-field", o->format.key_field,
                    "the key: a JSON pointer (ndjson, e.g. /user/id) or a CSV column name or number from 1");
    app.add_option("-K,--key-delimiter", o->format.key_delimiter,
                    "lines: the text before the first DELIM is the key, the rest the value");
    app.add_option("--csv-header", o->format.csv_header, "csv: the first line of each file names the columns");
    app.add_option_function<std::string>(
           "--csv-delimiter",
           [o](const std::string& d) {
             if (d.size() != 1 || d == "\"") throw CLI::ValidationError("--csv-delimiter", "one character, not a quote");
             o->format.csv_delimiter = d[0];
           },
           "csv: the field delimiter (default ,)")
        ->type_name("CHAR");
    app.add_option("--csv-value", o->format.csv_value, "csv: send the row as it is (line) or as a JSON object (json)")
        ->check(CLI::IsMember({"line", "json"}));
    app.add_option("--partitioner", o->partitioner,
                    "key: by key hash (keyless records spread by the proxy); round-robin over the partitions")
        ->check(CLI::IsMember({"key", "round-robin"}));
    app.add_option("-p,--partition", o->partition, "send every record to this partition")->check(CLI::Range(0, INT32_MAX));
    app.add_option("--rate", o->rate, "records per second at most (0: no limit)")->check(CLI::Range(0.0, 1e9));
    app.add_option("--checkpoint", o->checkpoint,
                    "resumable load: progress is saved here, and a rerun skips what was acknowledged")
        ->type_name("FILE");
    app.add_option("--reject-file", o->reject_file,
                   "where records that could not be loaded go, with file and line (an earlier run's is moved to FILE.old)")
        ->type_name("FILE");
    app.add_option("--progress", o->progress, "status line on stderr: auto (on a terminal), always, never")
        ->check(CLI::IsMember({"auto", "always", "never"}));
    app.add_flag("--json", o->json_summary, "also print the summary as JSON on stdout");
    auto* tuning = app.add_option_group("Tuning");
    tuning->add_option("--max-line-bytes", o->max_line_bytes, "longer lines are rejected")
        ->check(CLI::Range(std::int64_t{16}, std::int64_t{1} << 30));
    add_auto_count_option(*tuning, "--batch-records", o->batch_records,
                          "records per produce request, at most: auto (500, and 1000 once a link of 10 ms or more is "
                          "measured) or N",
                          1000000);
    tuning->add_option("--batch-bytes", o->batch_bytes, "bytes per produce request, at most")
        ->check(CLI::Range(std::int64_t{1024}, std::int64_t{1} << 30));
    tuning->add_option("--linger-ms", o->linger_ms, "how long a batch waits to fill")
        ->check(CLI::Range(0, 60000));
    add_concurrency_option(*tuning, "--in-flight", o->in_flight, "produce requests at once", 1024);
    tuning->add_option("--buffer-mb", o->buffer_mb, "records read ahead of their acknowledgements, MB")
        ->check(CLI::Range(1, 65536));
    app.footer("Examples:\n"
               "  krest load events.ndjson.gz --topic events --format ndjson --key-field /user/id\n"
               "  krest load orders.csv --topic orders --format csv --key-field order_id --checkpoint orders.cp\n"
               "  tail -f app.log | krest load - --topic logs --rate 1000\n"
               "A line is rejected (to --reject-file, with its file and line) when it cannot be a record: malformed\n"
               "JSON or CSV, not UTF-8, longer than --max-line-bytes, a --key-field it does not have, a partition\n"
               "the topic does not have; or when the proxy refuses it.");
    return {&app};
  };
  s.check = [o] {
    int stdin_inputs = 0;
    for (const auto& i : o->inputs) stdin_inputs += i == "-";
    if (stdin_inputs > 1) throw UsageError("stdin (-) given twice");
    if (stdin_inputs && !o->checkpoint.empty())
      throw UsageError("--checkpoint cannot resume stdin (-): load from a file instead");
    if (o->partition >= 0 && o->partitioner != "key")
      throw UsageError("--partition and --partitioner go one at a time");
    require_topic_name(o->topic);
    // Everything that can be checked is, before anything is sent.
    for (const auto& input : o->inputs) {
      if (input == "-") continue;
      struct stat st {};
      if (::stat(input.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        throw UsageError("'" + input + "' is a directory: give the files in it (" + input + "/*)");
      if (::access(input.c_str(), R_OK) != 0) throw UsageError("cannot open '" + input + "': " + std::strerror(errno));
    }
    RecordFormat check(o->format);
  };
  auto summary_printed = std::make_shared<bool>(false);
  s.failed = [o, summary_printed](const std::string& message, int code) {
    // With --json the failure is a JSON object too, for the scripts that read stdout (unless the
    // summary, which carries it, went out already).
    if (!o->json_summary || *summary_printed) return;
    boost::json::object doc{{"topic", o->topic}, {"error", message}, {"exit_code", code}};
    std::printf("%s\n", boost::json::serialize(doc).c_str());
  };
  s.command = [o, summary_printed](Client& client, StopRequest& stop) { return load(client, stop, *o, summary_printed); };
  return s;
}

}  // namespace krest::cli
