#include "bench/bench_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "bench/svg_chart.hpp"
#include "cli/terminal_status.hpp"

namespace krest::cli {
namespace {

std::string ms(std::uint64_t micros) { return fixed_point(static_cast<double>(micros) / 1000.0, 2); }

double per_second(std::uint64_t n, double seconds) { return seconds > 0 ? static_cast<double>(n) / seconds : 0; }


std::string utc_date(std::int64_t unix_ms) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return text;
}

}  // namespace

std::string describe_run(const BenchInfo& i) {
  std::string text = i.mode + " on '" + i.topic + "' (" + std::to_string(i.partitions) + " partition(s)), " +
                     std::to_string(i.in_flight) + " request(s) in flight, " + std::to_string(i.batch) +
                     " records per request";
  if (i.record_size > 0)
    text += " of " + std::to_string(i.record_size) +
            (i.record_size_max > i.record_size ? "-" + std::to_string(i.record_size_max) : "") + " bytes";
  if (i.keys > 0) text += ", " + std::to_string(i.keys) + " keys";
  if (!i.ratio.empty()) text += ", produce:consume " + i.ratio;
  if (i.mode == "end-to-end")
    text += ", timed from each record's send to its arrival at a tail (waiting at most " +
            std::to_string(i.poll_max_ms) + " ms at the end)";
  text += i.rate > 0 ? ", fixed rate " + fixed_point(i.rate, 0) + " requests/s" : ", as fast as answered";
  if (i.runs > 1) text += ", " + std::to_string(i.runs) + " runs merged";
  return text;
}

std::string bench_table(const BenchResult& r) {
  std::string out = "krest bench " + describe_run(r.info) + "\n";
  out += "  " + with_thousands(r.requests - r.failed) + " requests ok, " + with_thousands(r.failed) + " failed, " +
         with_thousands(r.records) + " records in " + fixed_point(r.seconds, 2) + " s\n";
  out += "  throughput   " + with_thousands(static_cast<std::uint64_t>(per_second(r.records, r.seconds))) +
         " records/s   " + fixed_point(per_second(r.bytes, r.seconds) / 1e6, 1) + " MB/s   " +
         fixed_point(per_second(r.requests - r.failed, r.seconds), 1) + " requests/s\n";
  out += "  latency ms  ";
  for (std::size_t i = 0; i < 5; ++i)
    out += std::string(" ") + kQuantileNames[i] + " " + ms(r.latency.quantile(kQuantiles[i]));
  if (r.info.mode == "end-to-end")
    out += "   (each record, from its scheduled send to its arrival at the tail)\n";
  else
    out += r.info.rate > 0 ? "   (from each request's scheduled send time)\n" : "\n";
  if (r.info.mode == "end-to-end")
    out += "  records produced " + with_thousands(r.produced) + ", consumed " + with_thousands(r.records) +
           ", missing " + with_thousands(r.missing) + "\n";
  for (const auto& e : r.errors) out += "  error: " + e + "\n";
  return out;
}

std::string html_head(const std::string& title) {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" + escape_html(title) +
         "</title>\n<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1000px}"
         "table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}"
         "th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}.err{color:#b00}"
         ".run td{text-align:left}.run td:first-child{color:#555}.noise{color:#777}</style></head><body>\n";
}

std::string html_run_header(const BenchInfo& i) {
  std::string html = "<table class=\"run\">\n";
  auto row = [&](const std::string& k, const std::string& v) {
    html += "<tr><td>" + escape_html(k) + "</td><td>" + escape_html(v) + "</td></tr>\n";
  };
  row("endpoint", i.endpoint);
  row("topic", i.topic + " (" + std::to_string(i.partitions) + " partitions)");
  row("started", utc_date(i.start_unix_ms));
  row("settings", describe_run(i));
  row("command line", i.command_line);
  row("krest version", i.krest_version);
  row("machine", i.host + ", " + i.cpu);
  html += "</table>\n";
  return html;
}

std::string bench_html(const BenchResult& r, const std::string& before_charts) {
  const auto& intervals = r.timeline.intervals();
  const double width = r.timeline.width();
  // Time in seconds, or in minutes past ten of them ("1.5k s" reads worse than "25 min").
  const double scale = r.seconds > 600 ? 60 : 1;
  const std::string unit = r.seconds > 600 ? " min" : " s";
  Chart throughput{"throughput", "Throughput over time", "time since the start", "records per second", {}, {}, unit, false};
  Chart latency{"latency-over-time", "Latency over time (of the requests completed in each " +
                                         compact_number(width) + " s)",
                "time since the start", "milliseconds", {}, {}, unit, false};
  Chart failures{"errors", "Failed requests over time", "time since the start", "failed requests per second", {}, {}, unit, false};
  ChartSeries rate{"records/s", {}}, fails{"failed/s", {}};
  std::vector<ChartSeries> quantile_series = {{"p50", {}}, {"p90", {}}, {"p99", {}}, {"max", {}}};
  const double quantile_of[] = {0.5, 0.9, 0.99, 1.0};
  for (std::size_t n = 0; n < intervals.size(); ++n) {
    // Each interval at its end; the last, cut short by the end of the run, at its rate.
    const double begin = static_cast<double>(n) * width;
    const double length = std::min(width, r.seconds - begin);
    if (length < width * 0.2) continue;
    const auto& in = intervals[n];
    const double x = (begin + length) / scale;
    rate.points.emplace_back(x, per_second(in.records, length));
    fails.points.emplace_back(x, per_second(in.failed, length));
    if (in.latency.count() == 0) continue;
    for (std::size_t q = 0; q < quantile_series.size(); ++q)
      quantile_series[q].points.emplace_back(x, static_cast<double>(in.latency.quantile(quantile_of[q])) / 1000.0);
  }
  throughput.series.push_back(std::move(rate));
  latency.series = std::move(quantile_series);
  failures.series.push_back(std::move(fails));

  // Percentiles on HdrHistogram's log scale: x = log10(1 / (1 - q)), so 90%, 99%, 99.9% are evenly apart.
  Chart spectrum{"latency", "Latency by percentile", "percentile", "milliseconds", {}, {}, "", true};
  ChartSeries by_percentile{"latency", {}};
  if (r.latency.count() > 0)
    for (const auto& [q, v] : r.latency.spectrum())
      by_percentile.points.emplace_back(q >= 1 ? 5.3 : std::log10(1 / (1 - q)), static_cast<double>(v) / 1000.0);
  spectrum.series.push_back(std::move(by_percentile));
  spectrum.x_ticks = {{0, "0%"}, {1, "90%"}, {2, "99%"}, {3, "99.9%"}, {4, "99.99%"}, {5, "99.999%"}};

  std::string html = html_head("krest bench " + r.info.mode + " " + r.info.topic);
  html += "<h1>krest bench " + escape_html(r.info.mode) + "</h1>\n" + html_run_header(r.info);
  html += "<table id=\"summary\"><tr><th>measure</th><th>value</th></tr>\n";
  auto row = [&](const std::string& k, const std::string& v) {
    html += "<tr><td>" + escape_html(k) + "</td><td>" + escape_html(v) + "</td></tr>\n";
  };
  row("requests ok / failed", with_thousands(r.requests - r.failed) + " / " + with_thousands(r.failed));
  row("records", with_thousands(r.records));
  row("seconds", fixed_point(r.seconds, 2));
  row("records/s", with_thousands(static_cast<std::uint64_t>(per_second(r.records, r.seconds))));
  row("MB/s", fixed_point(per_second(r.bytes, r.seconds) / 1e6, 1));
  row("requests/s", fixed_point(per_second(r.requests - r.failed, r.seconds), 1));
  for (std::size_t i = 0; i < 5; ++i)
    row(std::string("latency ") + kQuantileNames[i] + " (ms)", ms(r.latency.quantile(kQuantiles[i])));
  html += "</table>\n";
  if (r.info.rate > 0)
    html += "<p>Latency is measured from each request's scheduled send time at the fixed rate, so a stall "
            "counts for every request it delayed.</p>\n";
  for (const auto& e : r.errors) html += "<p class=\"err\">error: " + escape_html(e) + "</p>\n";
  html += before_charts;
  html += svg_chart(throughput) + svg_chart(latency) + svg_chart(failures) + svg_chart(spectrum);
  html += "</body></html>\n";
  return html;
}

}  // namespace krest::cli
