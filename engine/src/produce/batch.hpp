#pragma once
// One produce POST under construction: the body is written record by record as records arrive
// (no DOM, no copy of the record kept), with where each record's JSON ends, so that a batch the
// proxy refuses as a whole (400, 413) can be split into halves to find the record at fault.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/produce_body.hpp"
#include "krest/producer.hpp"

namespace krest::produce {

struct Batch {
  std::string topic;
  std::int32_t lane = -1;  // ordered mode: the partition (or hash class) whose order it keeps
  std::uint64_t id = 0;
  std::string body{api::kProduceBodyBegin};

  Batch() = default;
  explicit Batch(std::string storage) { reuse(std::move(storage)); }
  std::vector<std::uint32_t> ends;                      // end of each record's JSON object in body
  std::vector<std::optional<std::int32_t>> partitions;  // each record's explicit partition
  std::vector<std::uint64_t> tags;                      // each record's Record::tag
  // The records sent with a callback of their own, by index in the batch, in index order; the
  // others report to the producer-wide one.
  std::vector<std::pair<std::uint32_t, DeliveryCallback>> callbacks;
  std::chrono::steady_clock::time_point deadline;  // the earliest record's delivery deadline
  std::size_t accounted_bytes = 0;  // what the producer's buffer counts for this batch
  bool finished = false;

  std::size_t records() const { return ends.size(); }

  // Empties a delivered batch for reuse with a body from the pool (a recycled string: its capacity is
  // what matters); the vectors keep their capacity, so a steady stream of batches allocates nothing.
  void reuse(std::string storage) {
    body = std::move(storage);
    body.clear();
    body += api::kProduceBodyBegin;
    ends.clear();
    partitions.clear();
    tags.clear();
    callbacks.clear();
    accounted_bytes = 0;
    finished = false;
  }

  void reserve(std::size_t bytes, std::size_t records) {
    body.reserve(bytes);
    ends.reserve(records);
    partitions.reserve(records);
    tags.reserve(records);
  }

  void add(const Record& r, std::optional<std::int32_t> partition, const DeliveryCallback& cb) {
    if (!ends.empty()) body += ',';
    api::append_produce_record(body, r.key, r.key_json, r.value, r.value_json, partition);
    if (cb) callbacks.emplace_back(static_cast<std::uint32_t>(ends.size()), cb);
    ends.push_back(static_cast<std::uint32_t>(body.size()));
    partitions.push_back(partition);
    tags.push_back(r.tag);
  }

  void finish() {
    if (!finished) body += api::kProduceBodyEnd;
    finished = true;
  }

  // Records [from, to) as a batch of their own (finished).
  Batch slice(std::size_t from, std::size_t to) const {
    Batch b;
    b.topic = topic;
    b.lane = lane;
    b.id = id;
    b.deadline = deadline;
    const std::size_t start = from == 0 ? api::kProduceBodyBegin.size() : ends[from - 1] + 1;
    b.body.append(body, start, ends[to - 1] - start);
    for (std::size_t i = from; i < to; ++i) {
      b.ends.push_back(static_cast<std::uint32_t>(ends[i] - start + api::kProduceBodyBegin.size()));
      b.partitions.push_back(partitions[i]);
      b.tags.push_back(tags[i]);
    }
    for (const auto& [index, cb] : callbacks)
      if (index >= from && index < to) b.callbacks.emplace_back(static_cast<std::uint32_t>(index - from), cb);
    b.finish();
    return b;
  }
};

}  // namespace krest::produce
