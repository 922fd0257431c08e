#!/usr/bin/env bash
# Every way to call krest wrongly ends with one line on stderr that says what is wrong, and exit
# code 2, before anything is sent.
set -euo pipefail
source "$(dirname "$0")/cli_env.sh" "$1" "$2"

"$krest" topics create t --partitions 2 2>/dev/null
echo '{"a":1}' > f.ndjson
echo 'not json' > garbage.json
echo '{"endpoint":"https://x","colour":"blue"}' > typo.json
k=("$krest")

expect_usage 2 "subcommand is required" "${k[@]}"
expect_usage 2 "nosuch" "${k[@]}" nosuch
expect_usage 2 "files is required" "${k[@]}" load -t t
expect_usage 2 "--topic is required" "${k[@]}" load f.ndjson
expect_usage 2 "xml" "${k[@]}" load f.ndjson -t t --format xml
expect_usage 2 "--key-delimiter goes with --format lines" "${k[@]}" load f.ndjson -t t -f ndjson -K ,
expect_usage 2 "drop --key-field" "${k[@]}" load f.ndjson -t t -f json -k /a
expect_usage 2 "is not a JSON pointer" "${k[@]}" load f.ndjson -t t -f ndjson -k user
expect_usage 2 "without --csv-header there are no names" "${k[@]}" load f.ndjson -t t -f csv --csv-header false -k name
expect_usage 2 "--csv-value json names the fields after the header row" "${k[@]}" load f.ndjson -t t -f csv --csv-header false --csv-value json
expect_usage 2 "one character" "${k[@]}" load f.ndjson -t t -f csv --csv-delimiter ';;'
expect_usage 2 "stdin (-) given twice" "${k[@]}" load - - -t t
expect_usage 2 "--checkpoint cannot resume stdin" "${k[@]}" load - -t t --checkpoint cp
expect_usage 2 "--partition and --partitioner" "${k[@]}" load f.ndjson -t t --partition 1 --partitioner round-robin
expect_usage 2 "cannot open 'missing.txt'" "${k[@]}" load f.ndjson missing.txt -t t
expect_usage 2 "--rate" "${k[@]}" load f.ndjson -t t --rate -5
expect_usage 2 "--partition 7: topic 't' has 2 partition(s)" "${k[@]}" load f.ndjson -t t --partition 7
expect_usage 2 "is not a krest load checkpoint" "${k[@]}" load f.ndjson -t t --checkpoint garbage.json
expect_usage 2 "no proxy endpoint" env -u KREST_ENDPOINT "${k[@]}" topics list
expect_usage 2 "needs the client secret" env -u KREST_CLIENT_SECRET "${k[@]}" topics list
expect_usage 2 "needs --tenant" env -u KREST_TENANT -u KREST_AUTHORITY "${k[@]}" topics list
expect_usage 2 "token file" "${k[@]}" topics list --auth token --token-file nonexistent
expect_usage 2 "cannot read config file 'none.json'" "${k[@]}" topics list --config none.json
expect_usage 2 "unknown setting 'colour'" "${k[@]}" topics list --config typo.json
expect_usage 2 "connections: '0' is not auto, auto:N or N with N in 1..1024" "${k[@]}" topics list --connections 0
expect_usage 2 "is not one of: auto, none, token, client-credentials" "${k[@]}" topics list --auth magic
expect_usage 2 "--from 'yesterday'" "${k[@]}" tail -t t --from yesterday
expect_usage 2 "not a list of partition numbers" "${k[@]}" tail -t t --partitions 0,x
expect_usage 2 "has no %-token" "${k[@]}" tail -t t -f nonsense
expect_usage 2 "unknown token %x" "${k[@]}" tail -t t -f '%x'
expect_usage 2 "is not a krest tail checkpoint" "${k[@]}" tail -t t --checkpoint garbage.json
expect_usage 2 "topic is required" "${k[@]}" topics create
expect_usage 2 "is not KEY=VALUE" "${k[@]}" topics create x --topic-config foo
expect_usage 2 "A subcommand is required" "${k[@]}" topics
expect_usage 2 "--offset 'abc'" "${k[@]}" consume -t t -o abc
expect_usage 2 "no records" "${k[@]}" produce -t t < /dev/null
echo '{"endpont":"https://x"}' > typo2.json
expect_usage 2 "unknown setting 'endpont' (did you mean 'endpoint'?)" "${k[@]}" topics list --config typo2.json
# A mistyped flag or command is named, with the nearest known one, before whatever else is wrong:
# CLI11 alone would say that --topic is required.
expect_usage 2 "unknown option --topc (did you mean --topic?)" "${k[@]}" tail --topc t
expect_usage 2 "unknown option --frm (did you mean --from?)" "${k[@]}" tail -t t --frm beginning
expect_usage 2 "unknown options --bogus, --exit-at-ned (did you mean --exit-at-end?)" "${k[@]}" tail -t t --bogus --exit-at-ned
expect_usage 2 "unknown option --fromat (did you mean --format?)" "${k[@]}" load --fromat csv
expect_usage 2 "unknown command 'tial' (did you mean 'tail'?)" "${k[@]}" tial -t t
expect_usage 2 "unknown command 'craete' (did you mean 'create'?); the commands are list, create" "${k[@]}" topics craete x
expect_usage 2 "unknown option --bogus" "${k[@]}" --bogus
ok "44 bad command lines: one line each, exit 2"

# Every command takes the connection flags: a slip in one is caught the same way everywhere.
for sub in load tail "topics list" "topics create" "topics describe" "topics delete" produce consume bench; do
  expect_usage 2 "krest $sub: unknown option --endpont (did you mean --endpoint?)" "${k[@]}" $sub --endpont https://x
done
ok "a mistyped flag is named, with the nearest one, by every command"

# Nothing reached the topic from any of them.
[ "$("$krest" topics describe t --json | python3 -c 'import json,sys; print(sum(p["latest_offset"] for p in json.load(sys.stdin)["partitions"]))')" = 0 ] ||
  fail "a refused command sent records"
ok "nothing was sent"

for sub in load tail "topics list" "topics create" "topics describe" "topics delete" produce consume bench; do
  "$krest" $sub --help > help.txt || fail "$sub --help exited non-zero"
  grep -q -- "--endpoint" help.txt || fail "$sub --help does not show the connection options"
done
"$krest" --help | grep -q "load" || fail "krest --help"
ok "--help on every subcommand"
echo "$passed passed, 0 failed"
