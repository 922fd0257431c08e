#pragma once
// How many records a fetch asks for (ConsumerOptions::fetch_records), apart from any I/O.
//
// A number pins it. Auto: kAutoFetchRecords, and kLongLinkFetchRecords on a link known to be
// kLongLinkRtt or longer (the first connect shows it) while the in-flight limit is adapted: four
// times the records a round trip from the first. At 80 ms the limit's doubling from 16 takes a
// 500,000-record backlog much of its time, and tails ran 1.10x with no cap, 1.15x at 1 Gbit/s,
// 1.00x at 100 Mbit/s (krest-netem, 4 interleaved runs each). At 20 ms they ran 0.93x at
// 100 Mbit/s (1.01-1.04x elsewhere), hence 30 ms. Fewer for records whose answers would pass
// kLongLinkAnswerBytes (never fewer than kAutoFetchRecords), so that growing does not make large
// records' answers larger.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace krest::consume {

struct FetchSize {
  static constexpr std::int32_t kAutoFetchRecords = 500;
  static constexpr std::int32_t kLongLinkFetchRecords = 2000;
  static constexpr double kLongLinkAnswerBytes = 1 << 20;
  static constexpr std::chrono::milliseconds kLongLinkRtt{30};

  std::int32_t setting = 0;  // ConsumerOptions::fetch_records: 0 auto
  double record_bytes = 0;   // an answer's bytes per record, averaged; 0 before the first

  // What an answer of `bytes` holding `records` showed.
  void answered(std::size_t bytes, std::size_t records) {
    if (records == 0) return;
    const double per_record = static_cast<double>(bytes) / static_cast<double>(records);
    record_bytes = record_bytes == 0 ? per_record : 0.9 * record_bytes + 0.1 * per_record;
  }
  // The count for the next fetch; `long_link_adapted`: the limit is adapted and the link known to
  // be kLongLinkRtt or longer.
  std::int32_t records(bool long_link_adapted) const {
    if (setting > 0) return setting;
    if (!long_link_adapted) return kAutoFetchRecords;
    if (record_bytes <= 0) return kLongLinkFetchRecords;
    return static_cast<std::int32_t>(
        std::clamp(kLongLinkAnswerBytes / record_bytes, double{kAutoFetchRecords}, double{kLongLinkFetchRecords}));
  }
};

}  // namespace krest::consume
