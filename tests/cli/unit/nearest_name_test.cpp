#include <catch2/catch.hpp>

#include "nearest_name.hpp"

using krest::edit_distance;
using krest::nearest_name;

TEST_CASE("edit distance counts a swap of neighbours as one edit", "[cli][nearest]") {
  CHECK(edit_distance("create", "create") == 0);
  CHECK(edit_distance("craete", "create") == 1);   // swapped
  CHECK(edit_distance("--topc", "--topic") == 1);  // one left out
  CHECK(edit_distance("--fromm", "--from") == 1);  // one too many
  CHECK(edit_distance("--frem", "--from") == 1);   // one wrong
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("abc", "") == 3);
  CHECK(edit_distance("kitten", "sitting") == 3);
}

TEST_CASE("the nearest name is offered only when it is close and the only one that close", "[cli][nearest]") {
  const std::vector<std::string> flags{"--topic", "--from", "--format", "-t", "-o", "--endpoint", "--exit-at-end"};
  CHECK(nearest_name("--topc", flags).value_or("") == "--topic");
  CHECK(nearest_name("--endpont", flags).value_or("") == "--endpoint");
  CHECK(nearest_name("--exit-at-ned", flags).value_or("") == "--exit-at-end");
  // Up to 4 letters one edit: --frm is one from --from, --fr two.
  CHECK(nearest_name("--frm", flags).value_or("") == "--from");
  CHECK_FALSE(nearest_name("--fr", flags));
  // Longer names two edits, and never more.
  CHECK(nearest_name("--endpnit", flags).value_or("") == "--endpoint");
  CHECK_FALSE(nearest_name("--endpt", flags));
  const std::string long_key(100000, 'a');  // a fuzzed config key: nothing near, and no time spent
  CHECK_FALSE(nearest_name(long_key, flags));
  // A one-letter flag is one edit from every other: no guess.
  CHECK_FALSE(nearest_name("-x", flags));
  CHECK_FALSE(nearest_name("--bogus", flags));
  // Two candidates equally close: a coin toss is no help.
  const std::vector<std::string> twins{"--rate", "--date"};
  CHECK_FALSE(nearest_name("--gate", twins));
  // A name that is there is not a typo.
  CHECK_FALSE(nearest_name("--from", flags));
  const std::vector<std::string> commands{"list", "create", "describe", "delete"};
  CHECK(nearest_name("craete", commands).value_or("") == "create");
  CHECK(nearest_name("dlete", commands).value_or("") == "delete");
  CHECK_FALSE(nearest_name("show", commands));
}
