// How many records a fetch asks for: pinned, or auto by the link and the records' size.
#include <catch2/catch.hpp>

#include "consume/fetch_size.hpp"

using krest::consume::FetchSize;

TEST_CASE("fetches ask for 2000 records on a long link with the limit adapted, 500 elsewhere", "[unit][consume]") {
  FetchSize automatic;
  CHECK(automatic.records(false) == 500);
  CHECK(automatic.records(true) == 2000);  // before any answer: as for small records
  // Answers of 100 bytes a record: 2000 stays under 1 MiB.
  automatic.answered(50000, 500);
  CHECK(automatic.records(true) == 2000);
  CHECK(automatic.records(false) == 500);

  // A number pins it, on any link.
  FetchSize pinned{700};
  CHECK(pinned.records(false) == 700);
  CHECK(pinned.records(true) == 700);
  pinned.answered(5000000, 500);
  CHECK(pinned.records(true) == 700);
}

TEST_CASE("fetches of large records do not grow their answers past 1 MiB, nor shrink under 500 records",
          "[unit][consume]") {
  FetchSize f;
  f.answered(1000 * 1024, 1000);  // 1 KiB a record
  CHECK(f.records(true) == 1024);
  FetchSize large;
  large.answered(500 * 4096, 500);  // 4 KiB a record: 256 would do, 500 is the floor
  CHECK(large.records(true) == 500);
  // An average: one answer of small records does not undo what many large ones showed.
  for (int i = 0; i < 20; ++i) large.answered(500 * 4096, 500);
  large.answered(500 * 100, 500);
  CHECK(large.records(true) == 500);
  // Answers without records (the end of the log) say nothing of the records' size.
  FetchSize empty;
  empty.answered(20, 0);
  CHECK(empty.records(true) == 2000);
}
