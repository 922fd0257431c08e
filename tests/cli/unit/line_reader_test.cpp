#include <zlib.h>
#include <catch2/catch.hpp>

#include <fstream>

#include "cli/usage_error.hpp"
#include "load/line_reader.hpp"
#include "support/temp_dir.hpp"

using krest::cli::LineReader;

namespace {

void write_file(const std::filesystem::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

void write_gzip(const std::filesystem::path& p, const std::string& text) {
  gzFile gz = gzopen(p.c_str(), "wb");
  gzwrite(gz, text.data(), static_cast<unsigned>(text.size()));
  gzclose(gz);
}

// cut.gz: the first half of the gzip of 100,000 numbered lines, which it returns.
std::string write_cut_gzip(const std::filesystem::path& dir) {
  std::string text;
  for (int i = 0; i < 100000; ++i) text += std::to_string(i * 7919) + "\n";
  write_gzip(dir / "whole.gz", text);
  std::string bytes;
  {
    std::ifstream in(dir / "whole.gz", std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  write_file(dir / "cut.gz", bytes.substr(0, bytes.size() / 2));
  return text;
}

std::vector<std::string> all_lines(LineReader& r) {
  std::vector<std::string> out;
  std::string_view line;
  while (r.next(line)) out.emplace_back(r.too_long() ? "<too long>" : std::string(line));
  return out;
}

}  // namespace

TEST_CASE("line reader: LF and CRLF ends, a last line without an end, numbers and offsets", "[unit][cli]") {
  krest::test::TempDir dir;
  write_file(dir / "a.txt", "one\r\ntwo\n\nlast");
  LineReader r((dir / "a.txt").string(), 1024);
  std::string_view line;
  REQUIRE(r.next(line));
  CHECK(line == "one");
  CHECK(r.line_number() == 1);
  CHECK(r.offset() == 5);
  REQUIRE(r.next(line));
  CHECK(line == "two");
  REQUIRE(r.next(line));
  CHECK(line.empty());
  REQUIRE(r.next(line));
  CHECK(line == "last");
  CHECK(r.line_number() == 4);
  CHECK(r.offset() == 14);
  CHECK_FALSE(r.next(line));
}

TEST_CASE("line reader: gzip is read transparently, lines across chunk boundaries intact", "[unit][cli]") {
  krest::test::TempDir dir;
  std::string text;
  for (int i = 0; i < 200000; ++i) text += "record number " + std::to_string(i) + std::string(i % 50, '.') + "\n";
  write_gzip(dir / "big.gz", text);
  write_file(dir / "big.txt", text);
  for (auto name : {"big.gz", "big.txt"}) {
    LineReader r((dir / name).string(), 1 << 20);
    std::string_view line;
    int n = 0;
    while (r.next(line)) {
      REQUIRE(line == "record number " + std::to_string(n) + std::string(n % 50, '.'));
      ++n;
    }
    CHECK(n == 200000);
    CHECK(r.offset() == text.size());
  }
}

TEST_CASE("line reader: an overlong line is flagged and skipped, the next one read", "[unit][cli]") {
  krest::test::TempDir dir;
  std::string huge(3 << 20, 'x');  // longer than the reader's first buffer, too
  write_file(dir / "long.txt", "short\n" + huge + "\nafter\n" + std::string(100, 'y'));
  LineReader r((dir / "long.txt").string(), 64);
  CHECK(all_lines(r) == std::vector<std::string>{"short", "<too long>", "after", "<too long>"});
  CHECK(r.line_number() == 4);
}

TEST_CASE("line reader: an overlong line keeps its length and a prefix cut at a character", "[unit][cli]") {
  krest::test::TempDir dir;
  // 255 ASCII bytes then a two-byte character across the 256-byte cut; 3 MB in all.
  std::string huge = std::string(255, 'a') + "\xc3\xa9" + std::string(3 << 20, 'z');
  write_file(dir / "long.txt", huge + "\n" + std::string(100, 'q') + "\n");
  LineReader r((dir / "long.txt").string(), 64);
  std::string_view line;
  REQUIRE(r.next(line));
  CHECK(r.too_long());
  CHECK(r.line_bytes() == huge.size());
  CHECK(line == std::string(255, 'a'));  // the split character is left out, not cut in half
  REQUIRE(r.next(line));
  CHECK(r.too_long());
  CHECK(r.line_bytes() == 100);
  CHECK(line == std::string(100, 'q'));  // shorter than the prefix: all of it
  CHECK_FALSE(r.next(line));
}

TEST_CASE("line reader: skip_to resumes at a checkpoint's line and offset, gzip too", "[unit][cli]") {
  krest::test::TempDir dir;
  write_file(dir / "r.txt", "a\nbb\nccc\ndddd\n");
  write_gzip(dir / "r.gz", "a\nbb\nccc\ndddd\n");
  for (auto name : {"r.txt", "r.gz"}) {
    LineReader r((dir / name).string(), 100);
    r.skip_to(5, 2);  // after "a\nbb\n"
    std::string_view line;
    REQUIRE(r.next(line));
    CHECK(line == "ccc");
    CHECK(r.line_number() == 3);
    CHECK(r.offset() == 9);
  }
}

TEST_CASE("line reader: a missing file is a usage error naming it, and corrupt gzip a read error", "[unit][cli]") {
  krest::test::TempDir dir;
  CHECK_THROWS_WITH(LineReader((dir / "none").string(), 100), Catch::Contains("cannot open"));
  std::string text(100000, 'z');
  write_gzip(dir / "c.gz", text);
  std::string bytes;
  {
    std::ifstream in(dir / "c.gz", std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  bytes[bytes.size() - 6] ^= 0x55;  // inside the CRC-32 trailer: the data no longer checks out
  write_file(dir / "c.gz", bytes);
  LineReader r((dir / "c.gz").string(), 1 << 20);
  std::string_view line;
  CHECK_THROWS_AS(
      [&] {
        while (r.next(line)) {
        }
      }(),
      std::runtime_error);
}

TEST_CASE("line reader: a gzip file cut short is an error, not a quiet end", "[unit][cli]") {
  krest::test::TempDir dir;
  write_cut_gzip(dir.path());
  LineReader r((dir / "cut.gz").string(), 1 << 20);
  std::string_view line;
  CHECK_THROWS_WITH(
      [&] {
        while (r.next(line)) {
        }
      }(),
      Catch::Contains("truncated"));
  CHECK(r.line_number() > 1000);  // what came before the cut was read
}

TEST_CASE("line reader: the line a gzip cut ends inside comes back cut short, then the error names the file",
          "[unit][cli]") {
  krest::test::TempDir dir;
  const std::string text = write_cut_gzip(dir.path());
  LineReader r((dir / "cut.gz").string(), 1 << 20);
  std::string_view line;
  std::uint64_t lines = 0;
  std::string error;
  std::string last;
  bool cut = false;
  try {
    while (r.next(line)) {
      ++lines;
      if (r.cut_short()) {
        cut = true;
        last = line;
      }
    }
  } catch (const std::runtime_error& e) {
    error = e.what();
  }
  CHECK(cut);
  CHECK(r.line_number() == lines);
  // The cut line is a start of the line that was there.
  CHECK(text.find(last) != std::string::npos);
  CHECK_THAT(error, Catch::Contains((dir / "cut.gz").string()) && Catch::Contains("truncated"));
  CHECK_THAT(error, !Catch::Contains("<fd:"));
}
