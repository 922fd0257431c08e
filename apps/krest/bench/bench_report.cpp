#include "bench/bench_report.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "cli/terminal_status.hpp"

namespace krest::cli {
namespace {

std::string fixed(double v, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, v);
  return text;
}

// 2382050 -> "2.4M": axis labels stay short.
std::string compact(double v) {
  if (v >= 1e6) return fixed(v / 1e6, v >= 1e7 ? 0 : 1) + "M";
  if (v >= 1e3) return fixed(v / 1e3, v >= 1e4 ? 0 : 1) + "k";
  return fixed(v, v < 10 ? 2 : 0);
}

std::string ms(std::uint64_t micros) { return fixed(static_cast<double>(micros) / 1000.0, 2); }

double per_second(std::uint64_t n, double seconds) { return seconds > 0 ? static_cast<double>(n) / seconds : 0; }

std::string describe(const BenchOptions& o, const BenchResult& r) {
  std::string text = o.mode + " on '" + o.topic + "' (" + std::to_string(r.partitions) + " partition(s)), " +
                     std::to_string(o.in_flight) + " request(s) in flight, " + std::to_string(o.batch) +
                     " records per request";
  if (o.mode != "consume") text += " of " + std::to_string(o.record_size) + " bytes";
  text += o.rate > 0 ? ", fixed rate " + fixed(o.rate, 0) + " requests/s" : ", as fast as answered";
  return text;
}

const char* kQuantileNames[] = {"p50", "p90", "p99", "p99.9", "max"};
const double kQuantiles[] = {0.5, 0.9, 0.99, 0.999, 1.0};

std::string escape_html(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else if (c == '"')
      out += "&quot;";
    else
      out += c;
  }
  return out;
}

// A line chart as inline SVG: points (x, y), axes with a few labelled ticks.
std::string svg_chart(const std::string& title, const std::vector<std::pair<double, double>>& points,
                      const std::string& x_label, const std::string& y_label,
                      const std::vector<std::pair<double, std::string>>& x_ticks) {
  const double w = 720, h = 320, left = 70, right = 20, top = 30, bottom = 50;
  double x_max = 1, y_max = 1;
  for (const auto& [x, y] : points) {
    x_max = std::max(x_max, x);
    y_max = std::max(y_max, y);
  }
  y_max *= 1.1;
  auto sx = [&](double x) { return left + (w - left - right) * x / x_max; };
  auto sy = [&](double y) { return top + (h - top - bottom) * (1 - y / y_max); };
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + fixed(w, 0) + "\" height=\"" + fixed(h, 0) +
                    "\" role=\"img\" aria-label=\"" + escape_html(title) + "\">\n";
  svg += "<text x=\"" + fixed(left, 0) + "\" y=\"18\" font-size=\"14\" font-weight=\"bold\">" + escape_html(title) +
         "</text>\n";
  svg += "<line x1=\"" + fixed(left, 1) + "\" y1=\"" + fixed(h - bottom, 1) + "\" x2=\"" + fixed(w - right, 1) +
         "\" y2=\"" + fixed(h - bottom, 1) + "\" stroke=\"#333\"/>\n";
  svg += "<line x1=\"" + fixed(left, 1) + "\" y1=\"" + fixed(top, 1) + "\" x2=\"" + fixed(left, 1) + "\" y2=\"" +
         fixed(h - bottom, 1) + "\" stroke=\"#333\"/>\n";
  for (int i = 0; i <= 4; ++i) {
    const double y = y_max * i / 4;
    svg += "<text x=\"" + fixed(left - 6, 1) + "\" y=\"" + fixed(sy(y) + 4, 1) +
           "\" font-size=\"11\" text-anchor=\"end\">" + compact(y) + "</text>\n";
    svg += "<line x1=\"" + fixed(left, 1) + "\" y1=\"" + fixed(sy(y), 1) + "\" x2=\"" + fixed(w - right, 1) +
           "\" y2=\"" + fixed(sy(y), 1) + "\" stroke=\"#ddd\"/>\n";
  }
  for (const auto& [x, label] : x_ticks)
    svg += "<text x=\"" + fixed(sx(x), 1) + "\" y=\"" + fixed(h - bottom + 16, 1) +
           "\" font-size=\"11\" text-anchor=\"middle\">" + escape_html(label) + "</text>\n";
  svg += "<text x=\"" + fixed((left + w - right) / 2, 1) + "\" y=\"" + fixed(h - 8, 1) +
         "\" font-size=\"12\" text-anchor=\"middle\">" + escape_html(x_label) + "</text>\n";
  svg += "<text x=\"14\" y=\"" + fixed((top + h - bottom) / 2, 1) + "\" font-size=\"12\" text-anchor=\"middle\" " +
         "transform=\"rotate(-90 14 " + fixed((top + h - bottom) / 2, 1) + ")\">" + escape_html(y_label) + "</text>\n";
  std::string path;
  for (const auto& [x, y] : points) path += (path.empty() ? "M" : " L") + fixed(sx(x), 1) + " " + fixed(sy(y), 1);
  svg += "<path d=\"" + path + "\" fill=\"none\" stroke=\"#1f6feb\" stroke-width=\"2\"/>\n";
  for (const auto& [x, y] : points)
    svg += "<circle cx=\"" + fixed(sx(x), 1) + "\" cy=\"" + fixed(sy(y), 1) + "\" r=\"3\" fill=\"#1f6feb\"/>\n";
  svg += "</svg>\n";
  return svg;
}

}  // namespace

std::string bench_table(const BenchOptions& o, const BenchResult& r) {
  std::string out = "krest bench " + describe(o, r) + "\n";
  out += "  " + with_thousands(r.requests - r.failed) + " requests ok, " + with_thousands(r.failed) + " failed, " +
         with_thousands(r.records) + " records in " + fixed(r.seconds, 2) + " s\n";
  out += "  throughput   " + with_thousands(static_cast<std::uint64_t>(per_second(r.records, r.seconds))) +
         " records/s   " + fixed(per_second(r.bytes, r.seconds) / 1e6, 1) + " MB/s   " +
         fixed(per_second(r.requests - r.failed, r.seconds), 1) + " requests/s\n";
  out += "  latency ms  ";
  for (std::size_t i = 0; i < 5; ++i)
    out += std::string(" ") + kQuantileNames[i] + " " + ms(r.latency.quantile(kQuantiles[i]));
  out += o.rate > 0 ? "   (from each request's scheduled send time)\n" : "\n";
  for (const auto& e : r.errors) out += "  error: " + e + "\n";
  return out;
}

std::string bench_json(const BenchOptions& o, const BenchResult& r) {
  boost::json::object latency;
  for (std::size_t i = 0; i < 5; ++i)
    latency[std::string(kQuantileNames[i]) + "_ms"] = static_cast<double>(r.latency.quantile(kQuantiles[i])) / 1000.0;
  latency["mean_ms"] = r.latency.mean() / 1000.0;
  boost::json::array seconds;
  for (const auto& s : r.per_second)
    seconds.push_back(boost::json::object{{"records", s.records}, {"requests", s.requests}, {"failed", s.failed}});
  boost::json::array errors;
  for (const auto& e : r.errors) errors.emplace_back(e);
  boost::json::object doc{{"mode", o.mode},
                          {"topic", o.topic},
                          {"partitions", r.partitions},
                          {"records_per_request", o.batch},
                          {"record_size", o.record_size},
                          {"in_flight", o.in_flight},
                          {"target_rate", o.rate},
                          {"seconds", r.seconds},
                          {"requests", r.requests},
                          {"failed", r.failed},
                          {"records", r.records},
                          {"bytes", r.bytes},
                          {"records_per_second", per_second(r.records, r.seconds)},
                          {"mb_per_second", per_second(r.bytes, r.seconds) / 1e6},
                          {"requests_per_second", per_second(r.requests - r.failed, r.seconds)},
                          {"latency", std::move(latency)},
                          {"per_second", std::move(seconds)},
                          {"errors", std::move(errors)}};
  return boost::json::serialize(doc) + "\n";
}

std::string bench_html(const BenchOptions& o, const BenchResult& r) {
  std::vector<std::pair<double, double>> throughput;
  // The last second is cut short by the end of the run: shown at its rate, not its count.
  for (std::size_t i = 0; i < r.per_second.size(); ++i) {
    const double length = std::min(1.0, r.seconds - static_cast<double>(i));
    if (length < 0.2) continue;
    throughput.emplace_back(static_cast<double>(i) + length, static_cast<double>(r.per_second[i].records) / length);
  }
  std::vector<std::pair<double, std::string>> time_ticks;
  for (std::size_t i = 0; i <= r.per_second.size(); i += std::max<std::size_t>(1, r.per_second.size() / 8))
    time_ticks.emplace_back(static_cast<double>(i), std::to_string(i) + " s");

  // Percentiles on the usual log scale: x = log10(1 / (1 - q)), so 90%, 99%, 99.9% are evenly apart.
  std::vector<std::pair<double, double>> spectrum;
  for (const auto& [q, v] : r.latency.spectrum()) {
    const double x = q >= 1 ? 5.3 : std::log10(1 / (1 - q));
    spectrum.emplace_back(x, static_cast<double>(v) / 1000.0);
  }
  std::vector<std::pair<double, std::string>> q_ticks = {{0, "0%"},       {1, "90%"},     {2, "99%"},
                                                         {3, "99.9%"},    {4, "99.99%"},  {5, "99.999%"}};

  std::string html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>krest bench " +
                     escape_html(o.mode) + " " + escape_html(o.topic) + "</title>\n";
  html += "<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse}"
          "td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}th{background:#f3f3f3}"
          "td:first-child,th:first-child{text-align:left}.err{color:#b00}</style></head><body>\n";
  html += "<h1>krest bench " + escape_html(o.mode) + "</h1>\n<p>" + escape_html(describe(o, r)) + ".</p>\n";
  html += "<table id=\"summary\"><tr><th>measure</th><th>value</th></tr>\n";
  auto row = [&](const std::string& k, const std::string& v) {
    html += "<tr><td>" + escape_html(k) + "</td><td>" + escape_html(v) + "</td></tr>\n";
  };
  row("requests ok / failed", with_thousands(r.requests - r.failed) + " / " + with_thousands(r.failed));
  row("records", with_thousands(r.records));
  row("seconds", fixed(r.seconds, 2));
  row("records/s", with_thousands(static_cast<std::uint64_t>(per_second(r.records, r.seconds))));
  row("MB/s", fixed(per_second(r.bytes, r.seconds) / 1e6, 1));
  row("requests/s", fixed(per_second(r.requests - r.failed, r.seconds), 1));
  for (std::size_t i = 0; i < 5; ++i) row(std::string("latency ") + kQuantileNames[i] + " (ms)", ms(r.latency.quantile(kQuantiles[i])));
  html += "</table>\n";
  if (o.rate > 0)
    html += "<p>Latency is measured from each request's scheduled send time at the fixed rate, so a stall "
            "counts for every request it delayed.</p>\n";
  for (const auto& e : r.errors) html += "<p class=\"err\">error: " + escape_html(e) + "</p>\n";
  html += "<div id=\"throughput\">" + svg_chart("Throughput over time", throughput, "time", "records per second", time_ticks) +
          "</div>\n";
  html += "<div id=\"latency\">" + svg_chart("Latency by percentile", spectrum, "percentile", "milliseconds", q_ticks) +
          "</div>\n";
  html += "</body></html>\n";
  return html;
}

}  // namespace krest::cli
