#include "metrics/prometheus.hpp"

#include <charconv>
#include <cmath>

namespace krest::metrics {
namespace {

void append_number(std::string& out, double v) {
  char buf[32];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    auto r = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(v));
    out.append(buf, r.ptr);
    return;
  }
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_labels(std::string& out, std::string_view labels, std::string_view extra) {
  if (labels.empty() && extra.empty()) return;
  out += '{';
  out += labels;
  if (!labels.empty() && !extra.empty()) out += ',';
  out += extra;
  out += '}';
}

}  // namespace

void append_family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void append_sample(std::string& out, std::string_view name, std::string_view labels, double value) {
  out += name;
  append_labels(out, labels, {});
  out += ' ';
  append_number(out, value);
  out += '\n';
}

void append_counter(std::string& out, std::string_view name, std::string_view help, double value) {
  append_family(out, name, "counter", help);
  append_sample(out, name, "", value);
}

void append_gauge(std::string& out, std::string_view name, std::string_view help, double value) {
  append_family(out, name, "gauge", help);
  append_sample(out, name, "", value);
}

void append_histogram(std::string& out, std::string_view name, std::string_view labels,
                      const LatencyHistogram::Snapshot& s) {
  std::uint64_t cumulative = 0;
  std::string bucket = std::string(name) + "_bucket";
  for (std::size_t i = 0; i < s.buckets.size(); ++i) {
    cumulative += s.buckets[i];
    std::string le = "le=\"";
    if (i < LatencyHistogram::kBounds.size()) {
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, LatencyHistogram::kBounds[i], std::chars_format::fixed);
      le.append(buf, r.ptr);
    } else {
      le += "+Inf";
    }
    le += '"';
    out += bucket;
    append_labels(out, labels, le);
    out += ' ';
    append_number(out, static_cast<double>(cumulative));
    out += '\n';
  }
  append_sample(out, std::string(name) + "_sum", labels, s.sum_seconds);
  append_sample(out, std::string(name) + "_count", labels, static_cast<double>(s.count));
}

std::string label_value(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace krest::metrics
