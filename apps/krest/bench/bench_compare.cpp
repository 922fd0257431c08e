#include "bench/bench_compare.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include "bench/bench_report.hpp"
#include "bench/svg_chart.hpp"

namespace krest::cli {
namespace {

std::string setting_of(const BenchInfo& i) {
  return i.mode + "|" + i.endpoint + "|" + std::to_string(i.batch) + "|" + std::to_string(i.record_size) + "|" +
         std::to_string(i.in_flight) + "|" + fixed_point(i.rate, 3);
}

struct Measure {
  const char* name;
  bool higher_is_better;
  std::function<double(const BenchResult&)> of;
};

const std::vector<Measure>& measures() {
  static const std::vector<Measure> m = {
      {"records/s", true, [](const BenchResult& r) { return r.seconds > 0 ? static_cast<double>(r.records) / r.seconds : 0; }},
      {"MB/s", true, [](const BenchResult& r) { return r.seconds > 0 ? static_cast<double>(r.bytes) / r.seconds / 1e6 : 0; }},
      {"p50 ms", false, [](const BenchResult& r) { return static_cast<double>(r.latency.quantile(0.5)) / 1000; }},
      {"p90 ms", false, [](const BenchResult& r) { return static_cast<double>(r.latency.quantile(0.9)) / 1000; }},
      {"p99 ms", false, [](const BenchResult& r) { return static_cast<double>(r.latency.quantile(0.99)) / 1000; }},
      {"p99.9 ms", false, [](const BenchResult& r) { return static_cast<double>(r.latency.quantile(0.999)) / 1000; }},
      {"max ms", false, [](const BenchResult& r) { return static_cast<double>(r.latency.max()) / 1000; }},
      {"failed", false, [](const BenchResult& r) { return static_cast<double>(r.failed); }},
  };
  return m;
}

struct Summary {
  double median = 0, low = 0, high = 0;
};

Summary summarise(const CompareGroup& g, const Measure& m) {
  std::vector<double> v;
  for (const auto& r : g.runs) v.push_back(m.of(r));
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  Summary s{n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v.front(), v.back()};
  return s;
}

// "1.32x", "1.32x ~" when the two groups' spreads overlap (a difference inside the noise), "-"
// when there is nothing to divide by.
std::string ratio(const Summary& base, const Summary& other, bool repeated) {
  if (base.median == 0) return other.median == 0 ? "1.00x" : "-";
  std::string text = fixed_point(other.median / base.median, 2) + "x";
  if (repeated && other.low <= base.high && base.low <= other.high) text += " ~";
  return text;
}

std::string value_text(const Summary& s, std::size_t runs) {
  std::string text = compact_number(s.median);
  if (runs > 1) text += " (" + compact_number(s.low) + "-" + compact_number(s.high) + ")";
  return text;
}

// The comparison once, for both the Markdown and the HTML table: per measure, its name and its
// cells (each setting's value, then, past the first, its ratio to the first).
struct Row {
  const char* measure;
  std::vector<std::string> cells;
};

std::vector<Row> comparison(const std::vector<CompareGroup>& groups) {
  std::vector<Row> rows;
  for (const auto& m : measures()) {
    Row row{m.name, {}};
    const auto base = summarise(groups[0], m);
    for (std::size_t k = 0; k < groups.size(); ++k) {
      const auto s = summarise(groups[k], m);
      row.cells.push_back(value_text(s, groups[k].runs.size()));
      if (k > 0) row.cells.push_back(ratio(base, s, groups[0].runs.size() > 1 && groups[k].runs.size() > 1));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

bool within_noise(const std::string& cell) { return cell.find('~') != std::string::npos; }

}  // namespace

std::vector<CompareGroup> group_runs(const std::vector<std::string>& files, std::vector<BenchResult> runs) {
  std::vector<CompareGroup> groups;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (!groups.empty() && setting_of(groups.back().runs.front().info) == setting_of(runs[i].info)) {
      groups.back().runs.push_back(std::move(runs[i]));
      continue;
    }
    groups.push_back(CompareGroup{files[i], {}});
    groups.back().runs.push_back(std::move(runs[i]));
  }
  for (auto& g : groups)
    if (g.runs.size() > 1) g.label += " +" + std::to_string(g.runs.size() - 1);
  return groups;
}

std::string compare_table(const std::vector<CompareGroup>& groups) {
  bool repeated = false, marked = false;
  for (const auto& g : groups) repeated = repeated || g.runs.size() > 1;
  std::string out;
  for (std::size_t k = 0; k < groups.size(); ++k)
    out += "[" + std::to_string(k + 1) + "] " + groups[k].label + ": " + describe_run(groups[k].runs.front().info) +
           (groups[k].runs.size() > 1 ? " (" + std::to_string(groups[k].runs.size()) + " runs: median (min-max))" : "") +
           "\n";
  out += "\n| measure |";
  for (std::size_t k = 0; k < groups.size(); ++k)
    out += " [" + std::to_string(k + 1) + "] |" + (k > 0 ? " vs [1] |" : "");
  out += "\n|---|";
  for (std::size_t k = 0; k < groups.size(); ++k) out += k > 0 ? "---:|---:|" : "---:|";
  out += "\n";
  for (const auto& row : comparison(groups)) {
    out += std::string("| ") + row.measure + " |";
    for (const auto& cell : row.cells) {
      marked = marked || within_noise(cell);
      out += " " + cell + " |";
    }
    out += "\n";
  }
  if (marked)
    out += "\n~: the two settings' ranges overlap, so the difference is within the runs' own spread.\n";
  else if (!repeated && groups.size() > 1)
    out += "\nOne run per setting: no spread to judge noise by (give repeated runs of a setting one after another).\n";
  return out;
}

std::string compare_html(const std::vector<CompareGroup>& groups) {
  std::string html = html_head("krest bench compare");
  html += "<h1>krest bench compare</h1>\n";
  for (std::size_t k = 0; k < groups.size(); ++k) {
    html += "<h2>[" + std::to_string(k + 1) + "] " + escape_html(groups[k].label) + "</h2>\n";
    html += html_run_header(groups[k].runs.front().info);
  }
  // The Markdown table again as HTML.
  html += "<table id=\"comparison\"><tr><th>measure</th>";
  for (std::size_t k = 0; k < groups.size(); ++k)
    html += "<th>[" + std::to_string(k + 1) + "]</th>" + (k > 0 ? "<th>vs [1]</th>" : "");
  html += "</tr>\n";
  for (const auto& row : comparison(groups)) {
    html += std::string("<tr><td>") + row.measure + "</td>";
    for (const auto& cell : row.cells)
      html += std::string("<td") + (within_noise(cell) ? " class=\"noise\"" : "") + ">" + escape_html(cell) + "</td>";
    html += "</tr>\n";
  }
  html += "</table>\n";

  // Each setting's first run overlaid: percentiles and throughput over time.
  Chart spectrum{"latency", "Latency by percentile", "percentile", "milliseconds", {}, {}, "", true};
  spectrum.x_ticks = {{0, "0%"}, {1, "90%"}, {2, "99%"}, {3, "99.9%"}, {4, "99.99%"}, {5, "99.999%"}};
  Chart throughput{"throughput", "Throughput over time", "time since the start", "records per second", {}, {}, " s", false};
  for (std::size_t k = 0; k < groups.size(); ++k) {
    const auto& r = groups[k].runs.front();
    const std::string name = "[" + std::to_string(k + 1) + "] " + groups[k].label;
    ChartSeries s{name, {}};
    if (r.latency.count() > 0)
      for (const auto& [q, v] : r.latency.spectrum())
        s.points.emplace_back(q >= 1 ? 5.3 : std::log10(1 / (1 - q)), static_cast<double>(v) / 1000.0);
    spectrum.series.push_back(std::move(s));
    ChartSeries t{name, {}};
    const double width = r.timeline.width();
    for (std::size_t n = 0; n < r.timeline.intervals().size(); ++n) {
      const double begin = static_cast<double>(n) * width;
      const double length = std::min(width, r.seconds - begin);
      if (length < width * 0.2) continue;
      t.points.emplace_back(begin + length, static_cast<double>(r.timeline.intervals()[n].records) / length);
    }
    throughput.series.push_back(std::move(t));
  }
  html += svg_chart(spectrum) + svg_chart(throughput) + "</body></html>\n";
  return html;
}

}  // namespace krest::cli
