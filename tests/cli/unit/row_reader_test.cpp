#include <catch2/catch.hpp>

#include <fstream>

#include "load/line_reader.hpp"
#include "load/row_reader.hpp"
#include "support/temp_dir.hpp"

using krest::cli::LineReader;
using krest::cli::RowReader;
using Problem = RowReader::Problem;

namespace {

struct SeenRow {
  std::string text;
  std::uint64_t line;
  Problem problem;
  bool operator==(const SeenRow&) const = default;
};

std::vector<SeenRow> rows_of(const std::filesystem::path& path, const std::string& text, char delimiter,
                             std::size_t max) {
  std::ofstream(path, std::ios::binary) << text;
  LineReader lines(path.string(), max);
  RowReader rows(lines, delimiter, max);
  std::vector<SeenRow> out;
  RowReader::Row row;
  while (rows.next(row)) out.push_back({std::string(row.text), row.line, row.problem});
  return out;
}

}  // namespace

TEST_CASE("csv rows: a quote opens a field only at its start, and a doubled quote is a quote", "[unit][cli]") {
  using krest::cli::csv_ends_quoted;
  CHECK_FALSE(csv_ends_quoted("a,b,c", ',', false));
  CHECK(csv_ends_quoted("a,\"b", ',', false));
  CHECK_FALSE(csv_ends_quoted("a,\"b\"", ',', false));
  CHECK(csv_ends_quoted("a,\"b\"\"", ',', false));    // "" is a quote: still open
  CHECK_FALSE(csv_ends_quoted("a,b\"c", ',', false));  // a stray quote in an unquoted field opens nothing
  CHECK_FALSE(csv_ends_quoted("x\",1", ',', true));    // the field from the line before closes
  CHECK(csv_ends_quoted("x", ',', true));
  CHECK(csv_ends_quoted("a;\"b", ';', false));
  CHECK_FALSE(csv_ends_quoted("a,\"b", ';', false));  // the quote is inside the field "a,"b"
}

TEST_CASE("csv rows: a quoted field across lines is one row, numbered by its first line", "[unit][cli]") {
  krest::test::TempDir dir;
  auto rows = rows_of(dir / "in.csv", "id,note\n1,\"two\r\nlines\"\n2,\"three\n\n\"\"lines\"\"\"\n3,plain\n", ',', 1024);
  CHECK(rows == std::vector<SeenRow>{{"id,note", 1, Problem::none},
                                     {"1,\"two\nlines\"", 2, Problem::none},
                                     {"2,\"three\n\n\"\"lines\"\"\"", 4, Problem::none},
                                     {"3,plain", 7, Problem::none}});
}

TEST_CASE("csv rows: lines stay lines for other formats and for unquoted csv", "[unit][cli]") {
  krest::test::TempDir dir;
  auto rows = rows_of(dir / "in.txt", "a,\"b\nc\n", '\0', 1024);
  CHECK(rows == std::vector<SeenRow>{{"a,\"b", 1, Problem::none}, {"c", 2, Problem::none}});
}

TEST_CASE("csv rows: a field still open at the end of the file is one unclosed row", "[unit][cli]") {
  krest::test::TempDir dir;
  auto rows = rows_of(dir / "in.csv", "1,ok\n2,\"open\nstill\n", ',', 1024);
  CHECK(rows == std::vector<SeenRow>{{"1,ok", 1, Problem::none}, {"2,\"open\nstill", 2, Problem::unclosed}});
}

TEST_CASE("csv rows: a joined row over the limit is too long, and reading goes on after its closing quote",
          "[unit][cli]") {
  krest::test::TempDir dir;
  std::string text = "1,\"start\n";
  for (int i = 0; i < 20; ++i) text += std::string(30, 'x') + "\n";
  text += "end\",z\n2,after\n";
  auto rows = rows_of(dir / "in.csv", text, ',', 200);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].problem == Problem::too_long);
  CHECK(rows[0].line == 1);
  CHECK(rows[0].text.rfind("1,\"start\n", 0) == 0);
  CHECK(rows[1] == SeenRow{"2,after", 23, Problem::none});
}
