#pragma once
// Line charts as inline SVG for the bench reports: one or more series, axes with round-numbered
// ticks ("0, 20k, 40k, 60k"), nothing fetched.
#include <string>
#include <utility>
#include <vector>

namespace krest::cli {

struct ChartSeries {
  std::string name;  // in the legend when there are several
  std::vector<std::pair<double, double>> points;
};

struct Chart {
  std::string id;  // the <div>'s id
  std::string title;
  std::string x_label, y_label;
  std::vector<ChartSeries> series;
  // Ticks of x at these values with these labels; when empty, round numbers followed by x_unit.
  std::vector<std::pair<double, std::string>> x_ticks;
  std::string x_unit;
  bool dots = false;  // a mark at every point (few points)
};

// A <div id=...> holding the chart, or a line saying there is nothing to draw.
std::string svg_chart(const Chart& chart);

// 12.3456 with 2 decimals -> "12.35".
std::string fixed_point(double v, int decimals);

// 2382050 -> "2.38M", 0.25 -> "0.25": short labels for axes and tables.
std::string compact_number(double v);

std::string escape_html(const std::string& s);

}  // namespace krest::cli
