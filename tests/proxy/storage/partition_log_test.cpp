#include <fcntl.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "storage/embedded/partition_log.hpp"
#include "storage/embedded/record_frame.hpp"
#include "support/temp_dir.hpp"

using namespace krest::proxy;
namespace fs = std::filesystem;

namespace {

LogSettings small_segments(std::int64_t bytes = 4096) {
  LogSettings s;
  s.segment_bytes = bytes;
  return s;
}

std::int64_t append(PartitionLog& log, const std::vector<std::string>& values, std::int64_t ts = 1000,
                    std::optional<std::string> key = std::nullopt) {
  std::string frame;
  FrameBuilder b(frame);
  for (const auto& v : values) b.add(key ? std::optional<std::string_view>(*key) : std::nullopt, v);
  b.seal();
  return log.append(frame, b.records(), ts).base_offset;
}

std::vector<std::string> read_values(const PartitionLog& log, std::int64_t offset, std::size_t max = 1000000,
                                     std::size_t max_bytes = 0, std::int64_t* next = nullptr) {
  FetchResult out;
  log.read(FetchRequest{0, offset, max, max_bytes}, out);
  std::vector<std::string> values;
  for (const auto& r : out.records) values.emplace_back(out.value(r));
  if (next) *next = out.next_offset;
  return values;
}

std::vector<fs::path> segments(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("frame: a sealed, stamped frame decodes, and any flipped byte is detected", "[unit][storage]") {
  std::string frame;
  FrameBuilder b(frame);
  b.add(std::string_view("key"), "value");
  b.add(std::nullopt, "");
  b.seal();
  stamp_frame(frame, 42, 1234);
  auto h = decode_header(frame.data());
  REQUIRE(h);
  CHECK(h->base_offset == 42);
  CHECK(h->timestamp_ms == 1234);
  CHECK(h->record_count == 2);
  CHECK(payload_intact(*h, frame.data() + kFrameHeaderBytes));
  for (std::size_t i = 0; i < frame.size(); ++i) {
    std::string damaged = frame;
    damaged[i] ^= 0x20;
    auto dh = decode_header(damaged.data());
    bool detected =
        !dh || !payload_intact(*dh, damaged.data() + kFrameHeaderBytes) || dh->payload_len != h->payload_len;
    INFO("byte " << i);
    CHECK(detected);
  }
}

TEST_CASE("partition log: appends get consecutive offsets and read back across segments", "[unit][storage]") {
  krest::test::TempDir dir;
  auto log = PartitionLog::open(dir / "p", 0, small_segments());
  std::vector<std::string> expected;
  for (int i = 0; i < 300; ++i) {
    std::vector<std::string> batch;
    for (int j = 0; j < 3; ++j) batch.push_back("record-" + std::to_string(i * 3 + j) + std::string(20, 'x'));
    CHECK(append(*log, batch) == i * 3);
    expected.insert(expected.end(), batch.begin(), batch.end());
  }
  CHECK(log->next_offset() == 900);
  CHECK(log->stats().segments > 5);
  CHECK(read_values(*log, 0) == expected);
  auto tail = read_values(*log, 451, 10);
  REQUIRE(tail.size() == 10);
  CHECK(tail.front() == expected[451]);
  std::int64_t next = 0;
  CHECK(read_values(*log, 900, 10, 0, &next).empty());
  CHECK(next == 900);
  CHECK(read_values(*log, 5000, 10, 0, &next).empty());
  CHECK(next == 5000);

  // Reopening rebuilds the same view from the files.
  log.reset();
  auto reopened = PartitionLog::open(dir / "p", 0, small_segments());
  CHECK(reopened->next_offset() == 900);
  CHECK(read_values(*reopened, 0) == expected);
  CHECK(append(*reopened, {"after"}) == 900);
}

TEST_CASE("partition log: the byte limit stops a read, but one record always comes back", "[unit][storage]") {
  krest::test::TempDir dir;
  auto log = PartitionLog::open(dir / "p", 0, small_segments(1 << 20));
  append(*log, {std::string(1000, 'a'), std::string(1000, 'b'), std::string(1000, 'c')});
  CHECK(read_values(*log, 0, 100, 2500).size() == 2);
  CHECK(read_values(*log, 0, 100, 10).size() == 1);
  std::int64_t next = 0;
  CHECK(read_values(*log, 1, 1, 0, &next).size() == 1);
  CHECK(next == 2);
}

TEST_CASE("partition log: a torn write at the end is cut off at recovery, everything before it kept",
          "[unit][storage][fault]") {
  krest::test::TempDir dir;
  {
    auto log = PartitionLog::open(dir / "p", 0, small_segments(1 << 20));
    for (int i = 0; i < 10; ++i) append(*log, {"v" + std::to_string(i)});
  }
  auto file = segments(dir / "p").back();
  const auto intact_size = fs::file_size(file);

  SECTION("half a frame") {
    std::string frame;
    FrameBuilder b(frame);
    b.add(std::nullopt, std::string(500, 'z'));
    b.seal();
    stamp_frame(frame, 10, 1);
    std::ofstream(file, std::ios::app | std::ios::binary)
        .write(frame.data(), static_cast<std::streamsize>(frame.size() / 2));
  }
  SECTION("a whole frame whose payload is garbage") {
    std::string frame;
    FrameBuilder b(frame);
    b.add(std::nullopt, std::string(500, 'z'));
    b.seal();
    stamp_frame(frame, 10, 1);
    frame[frame.size() - 3] ^= 1;
    std::ofstream(file, std::ios::app | std::ios::binary)
        .write(frame.data(), static_cast<std::streamsize>(frame.size()));
  }
  SECTION("zeros, as a file extended but never written") {
    std::string zeros(4096, '\0');
    std::ofstream(file, std::ios::app | std::ios::binary)
        .write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
  }
  auto log = PartitionLog::open(dir / "p", 0, small_segments(1 << 20));
  CHECK(fs::file_size(file) == intact_size);
  CHECK(log->next_offset() == 10);
  auto values = read_values(*log, 0);
  REQUIRE(values.size() == 10);
  CHECK(values[9] == "v9");
  CHECK(append(*log, {"v10"}) == 10);
  CHECK(read_values(*log, 10) == std::vector<std::string>{"v10"});
}

TEST_CASE("partition log: damage inside an older segment stops start-up with the file named",
          "[unit][storage][fault]") {
  krest::test::TempDir dir;
  {
    auto log = PartitionLog::open(dir / "p", 0, small_segments(1024));
    for (int i = 0; i < 20; ++i) append(*log, {std::string(300, 'a' + i % 26)});
  }
  auto files = segments(dir / "p");
  REQUIRE(files.size() > 2);
  {
    std::fstream f(files[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4);
    f.put('\x7f');
  }
  CHECK_THROWS_WITH(PartitionLog::open(dir / "p", 0, small_segments(1024)),
                    Catch::Contains(files[0].filename().string()) && Catch::Contains("damaged"));
}

TEST_CASE("partition log: retention by bytes drops whole old segments, never the newest", "[unit][storage]") {
  krest::test::TempDir dir;
  LogSettings s = small_segments(1024);
  s.retention_bytes = 2048;
  auto log = PartitionLog::open(dir / "p", 0, s);
  for (int i = 0; i < 40; ++i) append(*log, {std::string(200, 'x')});
  const auto before = log->stats();
  log->enforce_retention(2000);
  const auto after = log->stats();
  CHECK(after.segments < before.segments);
  CHECK(after.bytes >= 2048);
  CHECK(after.bytes < 2048 + 1024);
  CHECK(log->earliest_offset() > 0);
  CHECK(log->next_offset() == 40);
  // Reading below the earliest offset starts at the earliest retained record.
  FetchResult out;
  log->read(FetchRequest{0, 0, 1, 0}, out);
  REQUIRE(out.records.size() == 1);
  CHECK(out.records[0].offset == log->earliest_offset());
  CHECK(segments(dir / "p").size() == after.segments);
}

TEST_CASE("partition log: retention by time also reaches the newest segment once all of it expired",
          "[unit][storage]") {
  krest::test::TempDir dir;
  LogSettings s = small_segments(1 << 20);
  s.retention_ms = 1000;
  auto log = PartitionLog::open(dir / "p", 0, s);
  append(*log, {"old-1", "old-2"}, /*ts=*/10'000);
  append(*log, {"old-3"}, /*ts=*/10'500);
  log->enforce_retention(11'000);  // not expired yet
  CHECK(log->earliest_offset() == 0);
  log->enforce_retention(20'000);  // everything older than 19'000 goes
  CHECK(log->earliest_offset() == 3);
  CHECK(log->next_offset() == 3);
  CHECK(read_values(*log, 0).empty());
  CHECK(append(*log, {"new"}, 20'000) == 3);
  CHECK(read_values(*log, 0) == std::vector<std::string>{"new"});
}

TEST_CASE("partition log: sync advances the durable mark past every append", "[unit][storage]") {
  krest::test::TempDir dir;
  auto log = PartitionLog::open(dir / "p", 0, small_segments(512));
  std::string frame;
  std::uint64_t mark = 0;
  for (int i = 0; i < 10; ++i) {
    FrameBuilder b(frame);
    b.add(std::nullopt, std::string(100, 'q'));
    b.seal();
    mark = log->append(frame, 1, 1).mark;
  }
  CHECK(log->synced_mark() < mark);
  CHECK(log->sync());
  CHECK(log->synced_mark() == mark);
}

TEST_CASE("frame: marked plain JSON only when no key or value needs escaping", "[unit][storage]") {
  auto flags_of = [](std::optional<std::string_view> key, std::string_view value) {
    std::string frame;
    FrameBuilder b(frame);
    b.add(std::nullopt, "plain value");
    b.add(key, value);
    b.seal();
    stamp_frame(frame, 0, 0);
    return decode_header(frame.data())->flags;
  };
  CHECK(flags_of(std::string_view("k"), "v \xc3\xa9") == kFramePlainJson);
  CHECK(flags_of(std::nullopt, "say \"hi\"") == 0);
  CHECK(flags_of(std::string_view("a\\b"), "v") == 0);
  CHECK(flags_of(std::nullopt, "line\n") == 0);
}

TEST_CASE("partition log: records read back carry their frame's plain-JSON flag", "[unit][storage]") {
  krest::test::TempDir dir;
  auto log = PartitionLog::open(dir / "p", 0, small_segments(1 << 20));
  append(*log, {"plain", "also plain"});
  append(*log, {"needs \"escaping\""});
  FetchResult out;
  log->read(FetchRequest{0, 0, 10, 0}, out);
  REQUIRE(out.records.size() == 3);
  CHECK(out.records[0].plain_json);
  CHECK(out.records[1].plain_json);
  CHECK_FALSE(out.records[2].plain_json);
}

TEST_CASE("partition log: frames of another format version stop start-up and are left untouched",
          "[unit][storage][fault]") {
  krest::test::TempDir dir;
  {
    auto log = PartitionLog::open(dir / "p", 0, small_segments(1 << 20));
    append(*log, {"one", "two"});
  }
  auto file = segments(dir / "p").back();
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(3);
    f.put('9');  // "KRB9": a layout this build does not know
  }
  const auto size = fs::file_size(file);
  CHECK_THROWS_WITH(PartitionLog::open(dir / "p", 0, small_segments(1 << 20)),
                    Catch::Contains("another krest-proxy storage format") && Catch::Contains(file.filename().string()));
  CHECK(fs::file_size(file) == size);
}
