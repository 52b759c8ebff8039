#!/usr/bin/env bash
# What disturbs answers? A release `dossier serve` over the 10,000-file synthetic tree answers
# signed `/position` requests at a fixed rate (oha), first alone, then while one other thing
# runs; it prints the p99 of each and their ratio.
#   bench/reload/interference.sh MODE      (RATE=2000 DURATION=20s by default)
# MODE:
#   reload        back-to-back reloads, SIGHUP every 50 ms from one Python process
#   reload-shell  back-to-back reloads, SIGHUP from a shell loop around `sleep 0.05`
#   shell-loop    that shell loop alone, signalling nothing (kill -0)
#   spin          a busy loop in another process, SCHED_BATCH at nice 19 (the loader's priority)
#   memory        Python copying 64 MB over and over, same priority
#   read-files    Python reading a copy of the 10,000 card files over and over, same priority
#   check-loop    `dossier check` of a copy of the tree in a loop, same priority
set -euo pipefail
cd "$(dirname "$0")/../.."
MODE=${1:?usage: $0 reload|reload-shell|shell-loop|spin|memory|read-files|check-loop}
RATE=${RATE:-2000}; D=${DURATION:-20s}; PORT=${PORT:-18091}
bg=
source bench/reload/common.sh
stop_extra() { [ -n "$bg" ] && { pkill -P "$bg" 2>/dev/null || true; kill "$bg" 2>/dev/null || true; }; }
target/release/examples/bench_tree "$work/large" >/dev/null
cp -r "$work/large" "$work/copy"
start "$work/large" topic-0
body actor-0
read -r TS SIG < <(target/release/examples/sign_interaction sign "$work/body.json")
load() { oha --no-tui -z "$D" -q "$RATE" --latency-correction -m POST -H "content-type: application/json" \
  -H "x-signature-ed25519: $SIG" -H "x-signature-timestamp: $TS" -D "$work/body.json" \
  "http://127.0.0.1:$PORT/interactions"; }
p99() { awk '$1 == "99.00%" {print $3; exit}' "$1"; }
low() { chrt -b 0 nice -n 19 "$@"; }
load > "$work/alone.txt"
case $MODE in
  reload) python3 - "$pid" <<'PY' & bg=$!
import os, signal, sys, time
pid = int(sys.argv[1])
while True:
    os.kill(pid, signal.SIGHUP)
    time.sleep(0.05)
PY
  ;;
  reload-shell) ( while kill -HUP "$pid" 2>/dev/null; do sleep 0.05; done ) & bg=$! ;;
  shell-loop) ( while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done ) & bg=$! ;;
  spin) low sh -c 'while :; do :; done' & bg=$! ;;
  memory) low python3 -c 'b = bytearray(64 << 20)
while True: c = bytes(b)' & bg=$! ;;
  read-files) low python3 - "$work/copy" <<'PY' & bg=$!
import glob, sys
files = glob.glob(sys.argv[1] + "/**/*.toml", recursive=True)
while True:
    for f in files:
        open(f, "rb").read()
PY
  ;;
  check-loop) ( while :; do low target/release/dossier check "$work/copy" >/dev/null 2>&1 || true; done ) & bg=$! ;;
  *) echo "unknown mode $MODE" >&2; exit 2 ;;
esac
load > "$work/with.txt"
reloads=$(grep -c 'reloaded the cards' "$work/serve.log" || true)
a=$(p99 "$work/alone.txt"); w=$(p99 "$work/with.txt")
echo "$MODE: p99 alone $a ms, with it $w ms, ratio $(awk -v a="$a" -v w="$w" 'BEGIN {printf "%.2f", w / a}') ($reloads reloads)"
grep -h 'Success rate' "$work/alone.txt" "$work/with.txt"
