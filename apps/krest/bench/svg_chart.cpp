#include "bench/svg_chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace krest::cli {
namespace {

// The step between ticks: 1, 2, 2.5 or 5 times a power of ten, giving about `ticks` of them.
double nice_step(double range, int ticks) {
  if (range <= 0) return 1;
  const double raw = range / ticks;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (raw <= m * power) return m * power;
  return 10 * power;
}

const char* const kColours[] = {"#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#57606a", "#bf3989", "#0a3069"};

}  // namespace

std::string fixed_point(double v, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, v);
  return text;
}

std::string compact_number(double v) {
  const double a = std::fabs(v);
  auto trimmed = [](std::string s) {
    if (s.find('.') != std::string::npos) {
      while (s.back() == '0') s.pop_back();
      if (s.back() == '.') s.pop_back();
    }
    return s;
  };
  if (a >= 1e6) return trimmed(fixed_point(v / 1e6, 2)) + "M";
  if (a >= 1e3) return trimmed(fixed_point(v / 1e3, 2)) + "k";
  if (a == 0) return "0";
  if (a < 0.01) return trimmed(fixed_point(v, 4));
  return trimmed(fixed_point(v, a < 10 ? 2 : 1));
}

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

std::string svg_chart(const Chart& c) {
  std::size_t n = 0;
  for (const auto& s : c.series) n += s.points.size();
  std::string div = "<div class=\"chart\" id=\"" + escape_html(c.id) + "\">\n";
  if (n == 0)
    return div + "<p><b>" + escape_html(c.title) + "</b>: nothing to draw (no request completed).</p>\n</div>\n";

  const double w = 760, h = 320, left = 70, right = 20, top = 30, bottom = 50;
  double x_min = 0, x_max = 0, y_max = 0;
  bool first = true;
  for (const auto& s : c.series)
    for (const auto& [x, y] : s.points) {
      x_min = first ? x : std::min(x_min, x);
      x_max = first ? x : std::max(x_max, x);
      y_max = std::max(y_max, y);
      first = false;
    }
  if (c.x_ticks.empty()) x_min = std::min(x_min, 0.0);
  for (const auto& [x, label] : c.x_ticks) x_max = std::max(x_max, x);
  if (x_max <= x_min) x_max = x_min + 1;
  const double y_step = nice_step(y_max > 0 ? y_max : 1, 4);
  const double y_top = y_step * std::max(1.0, std::ceil(y_max / y_step * 1.02));
  auto sx = [&](double x) { return left + (w - left - right) * (x - x_min) / (x_max - x_min); };
  auto sy = [&](double y) { return top + (h - top - bottom) * (1 - y / y_top); };

  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + fixed_point(w, 0) + "\" height=\"" + fixed_point(h, 0) +
                    "\" role=\"img\" aria-label=\"" + escape_html(c.title) + "\">\n";
  svg += "<text x=\"" + fixed_point(left, 0) + "\" y=\"18\" font-size=\"14\" font-weight=\"bold\">" + escape_html(c.title) +
         "</text>\n";
  for (double y = 0; y <= y_top * 1.0001; y += y_step) {
    svg += "<line x1=\"" + fixed_point(left, 1) + "\" y1=\"" + fixed_point(sy(y), 1) + "\" x2=\"" + fixed_point(w - right, 1) + "\" y2=\"" +
           fixed_point(sy(y), 1) + "\" stroke=\"" + (y == 0 ? "#333" : "#ddd") + "\"/>\n";
    svg += "<text x=\"" + fixed_point(left - 6, 1) + "\" y=\"" + fixed_point(sy(y) + 4, 1) +
           "\" font-size=\"11\" text-anchor=\"end\">" + compact_number(y) + "</text>\n";
  }
  svg += "<line x1=\"" + fixed_point(left, 1) + "\" y1=\"" + fixed_point(top, 1) + "\" x2=\"" + fixed_point(left, 1) + "\" y2=\"" +
         fixed_point(h - bottom, 1) + "\" stroke=\"#333\"/>\n";
  std::vector<std::pair<double, std::string>> x_ticks = c.x_ticks;
  if (x_ticks.empty()) {
    const double step = nice_step(x_max - x_min, 8);
    for (double x = std::ceil(x_min / step) * step; x <= x_max * 1.0001; x += step)
      x_ticks.emplace_back(x, compact_number(x) + c.x_unit);
  }
  for (const auto& [x, label] : x_ticks)
    svg += "<text x=\"" + fixed_point(sx(x), 1) + "\" y=\"" + fixed_point(h - bottom + 16, 1) +
           "\" font-size=\"11\" text-anchor=\"middle\">" + escape_html(label) + "</text>\n";
  svg += "<text x=\"" + fixed_point((left + w - right) / 2, 1) + "\" y=\"" + fixed_point(h - 8, 1) +
         "\" font-size=\"12\" text-anchor=\"middle\">" + escape_html(c.x_label) + "</text>\n";
  svg += "<text x=\"14\" y=\"" + fixed_point((top + h - bottom) / 2, 1) + "\" font-size=\"12\" text-anchor=\"middle\" " +
         "transform=\"rotate(-90 14 " + fixed_point((top + h - bottom) / 2, 1) + ")\">" + escape_html(c.y_label) + "</text>\n";
  for (std::size_t k = 0; k < c.series.size(); ++k) {
    const auto& s = c.series[k];
    const char* colour = kColours[k % std::size(kColours)];
    std::string path;
    for (const auto& [x, y] : s.points) path += (path.empty() ? "M" : " L") + fixed_point(sx(x), 1) + " " + fixed_point(sy(y), 1);
    if (s.points.size() == 1) path += " L" + fixed_point(sx(s.points[0].first) + 1, 1) + " " + fixed_point(sy(s.points[0].second), 1);
    svg += "<path class=\"series\" d=\"" + path + "\" fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"2\"/>\n";
    if (c.dots || s.points.size() <= 30)
      for (const auto& [x, y] : s.points)
        svg += "<circle cx=\"" + fixed_point(sx(x), 1) + "\" cy=\"" + fixed_point(sy(y), 1) + "\" r=\"3\" fill=\"" + colour + "\"/>\n";
    if (c.series.size() > 1) {
      const double ly = top + 4 + 16 * static_cast<double>(k);
      svg += "<rect x=\"" + fixed_point(w - right - 190, 1) + "\" y=\"" + fixed_point(ly, 1) + "\" width=\"12\" height=\"4\" fill=\"" +
             colour + "\"/><text x=\"" + fixed_point(w - right - 172, 1) + "\" y=\"" + fixed_point(ly + 6, 1) +
             "\" font-size=\"11\">" + escape_html(s.name) + "</text>\n";
    }
  }
  svg += "</svg>\n";
  return div + svg + "</div>\n";
}

}  // namespace krest::cli
