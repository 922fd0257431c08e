#pragma once
// Prometheus text exposition format 0.0.4, written into a string.
#include <cstdint>
#include <string>
#include <string_view>

#include "metrics/histogram.hpp"

namespace krest::metrics {

inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

void append_family(std::string& out, std::string_view name, std::string_view type, std::string_view help);
// `labels` is the inside of the braces, e.g. `route="produce",status="200"`, or empty.
void append_sample(std::string& out, std::string_view name, std::string_view labels, double value);
// A whole unlabelled family of one sample: HELP, TYPE and the value.
void append_counter(std::string& out, std::string_view name, std::string_view help, double value);
void append_gauge(std::string& out, std::string_view name, std::string_view help, double value);
// A label's value as it goes between the quotes: backslash, quote and line feed escaped.
std::string label_value(std::string_view raw);
void append_histogram(std::string& out, std::string_view name, std::string_view labels,
                      const LatencyHistogram::Snapshot& s);

}  // namespace krest::metrics
