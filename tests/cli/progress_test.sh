#!/usr/bin/env bash
# krest load's progress line: shown and rewritten in place on a real terminal (a tmux pane), absent
# when stderr is a pipe or a file.
set -euo pipefail
source "$(dirname "$0")/cli_env.sh" "$1" "$2"
command -v tmux > /dev/null || fail "tmux is needed (scripts/setup.sh installs it)"

"$krest" topics create p --partitions 2 2>/dev/null
seq 1 6000 > in.txt
cat > run.sh <<SH
export KREST_ENDPOINT='$KREST_ENDPOINT' KREST_CA_FILE='$KREST_CA_FILE' KREST_TENANT='$KREST_TENANT'
export KREST_CLIENT_ID='$KREST_CLIENT_ID' KREST_AUTHORITY='$KREST_AUTHORITY' KREST_CLIENT_SECRET='$KREST_CLIENT_SECRET'
'$krest' load in.txt -t p --rate 2000
echo "exit=\$?"
sleep 30
SH
socket=krest-progress-$$
trap 'tmux -L $socket kill-server 2>/dev/null || true; kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
tmux -L $socket new-session -d -x 160 -y 12 "bash $dir/run.sh"
seen=""
for _ in $(seq 40); do
  sleep 0.1
  screen=$(tmux -L $socket capture-pane -p)
  if grep -q "loading 'p': .* records/s  [0-9]*%  ETA [0-9]:[0-9][0-9]" <<< "$screen"; then seen=$screen; break; fi
done
[ -n "$seen" ] || fail "no progress line on the terminal: $screen"
ok "progress line with rate, percentage and ETA on a terminal"
# The percentage follows the records acknowledged, not the bytes read ahead (the whole 30 KB file is
# read at once; at 2,000 records/s its 6,000 take 3 s).
percent=$(grep -o "records/s  [0-9]*%" <<< "$seen" | grep -o "[0-9]*%" | tr -d %)
[ "$percent" -lt 60 ] || fail "the first progress line says $percent% (read ahead, not acknowledged): $seen"
ok "the percentage follows acknowledgements ($percent% at the first update)"
# The line is rewritten in place: one status line on screen, not a scroll of them.
[ "$(grep -c "loading 'p'" <<< "$seen")" = 1 ] || fail "the status line scrolls: $seen"
for _ in $(seq 80); do
  sleep 0.1
  screen=$(tmux -L $socket capture-pane -p)
  grep -q "exit=" <<< "$screen" && break
done
grep -q "exit=0" <<< "$screen" || fail "load in the terminal: $screen"
grep -q "krest load: 6,000 records" <<< "$screen" || fail "no summary: $screen"
! grep -q "loading 'p'" <<< "$screen" || fail "the status line was not cleared before the summary: $screen"
ok "one line rewritten in place, then cleared for the summary"

# A terminal narrower than the line: the status is cut to the width instead of wrapping to a new
# row on every update.
# (A server of its own: one started on the socket just killed can meet the old one exiting, and
# tmux then fails with "server exited unexpectedly".)
tmux -L $socket kill-server 2>/dev/null || true
socket=$socket-narrow
tmux -L $socket new-session -d -x 40 -y 12 "bash $dir/run.sh"
rows_seen=""
for _ in $(seq 40); do
  sleep 0.1
  screen=$(tmux -L $socket capture-pane -p)
  if grep -q "loading 'p'" <<< "$screen"; then rows_seen=$screen; sleep 0.6; screen=$(tmux -L $socket capture-pane -p); break; fi
done
[ -n "$rows_seen" ] || fail "no progress line on a narrow terminal: $screen"
status_rows=$(grep -v '^$' <<< "$screen" | grep -vc "exit=\|krest load:" || true)
[ "$status_rows" = 1 ] || fail "the status wraps on a 40-column terminal ($status_rows rows): $screen"
width=$(grep "loading 'p'" <<< "$screen" | awk '{ print length($0) }')
[ "$width" -lt 40 ] || fail "the status is $width columns on a 40-column terminal: $screen"
ok "a narrow terminal gets the status cut to its width, on one row"

"$krest" load in.txt -t p --rate 4000 2> piped.err | cat
[ "$(wc -l < piped.err)" = 1 ] && ! grep -q "loading" piped.err && ! grep -q $'\r' piped.err ||
  fail "progress written to a file: $(cat -A piped.err)"
ok "no progress when stderr is a file"
echo "$passed passed, 0 failed"
