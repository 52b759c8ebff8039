#!/usr/bin/env bash
# A change page under load while reloads record the feed: GET /t/iran-us-talks/changes/1 at a
# steady rate (oha, RATE requests/s over C connections for D), first with the cards at rest,
# then while a loop edits an event's title every EVERY seconds, so that each reload records a
# new feed entry (the digest of what changed, written to the state). Prints the latency
# percentiles of both phases and how many edits were made. A web-only `serve` (no chat door).
#
#   bench/web/changes.sh            (RATE=1000 C=16 D=20s EVERY=0.25 by default; PROBE=1: the peak rate only)
#
# DOSSIER_BIN=path measures another build (an older commit's, for a before/after).
set -euo pipefail
cd "$(dirname "$0")/../.."
RATE=${RATE:-1000}
PROBE=${PROBE:-0}
C=${C:-16}
D=${D:-20s}
EVERY=${EVERY:-0.25}
PORT=${DOSSIER_PORT:-18095}
command -v oha >/dev/null || cargo install oha --version 1.16.0 --locked
[ -n "${DOSSIER_BIN:-}" ] || cargo build --release --locked --bin dossier
DOSSIER_BIN=${DOSSIER_BIN:-target/release/dossier}

work=$(mktemp -d)
pid=""
editor=""
cleanup() {
  [ -n "$editor" ] && kill "$editor" 2>/dev/null || true
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cp -r briefings "$work/briefings"
cat > "$work/dossier.toml" <<CFG
briefings = "$work/briefings"
state = "$work/state"
[http]
listen = "127.0.0.1:$PORT"
[web]
public_url = "https://briefings.example.org"
CFG
RUST_LOG=warn "$DOSSIER_BIN" serve --config "$work/dossier.toml" --today 2026-10-10 & pid=$!
url="http://127.0.0.1:$PORT/t/iran-us-talks/changes/1"
for _ in $(seq 200); do curl -fs "$url" >/dev/null && break; sleep 0.1; done
curl -fs "$url" | grep -q '<h1>'

if [ "$PROBE" = 1 ]; then oha --no-tui -z 5s -c "$C" "$url" | grep -E "Requests/sec|50.00%|99.00%"; exit 0; fi
load() { oha --no-tui -z "$D" -c "$C" -q "$RATE" --latency-correction "$url"; }
pct() { awk -v p="$2" 'index($0, p"% in") { v = $3; if ($4 == "secs") v *= 1000; else if ($4 != "ms") v /= 1000; printf "%.2f", v; exit }' "$1"; }

echo "== at rest: $RATE req/s over $C connections for $D"
load | tee "$work/rest.txt"

card="$work/briefings/iran-us-talks/timeline.toml"
(
  n=0
  while :; do
    if [ $((n % 2)) = 0 ]; then
      sed -i 's/^title = "Assad.s government falls"$/title = "Assad'"'"'s government falls (revised)"/' "$card"
    else
      sed -i 's/^title = "Assad.s government falls (revised)"$/title = "Assad'"'"'s government falls"/' "$card"
    fi
    n=$((n + 1))
    echo "$n" > "$work/edits"
    sleep "$EVERY"
  done
) & editor=$!
echo "== while the cards change every ${EVERY}s: $RATE req/s over $C connections for $D"
load | tee "$work/busy.txt"
kill "$editor" 2>/dev/null || true
editor=""
edits=$(cat "$work/edits")
seq_now=$(curl -fs "http://127.0.0.1:$PORT/t/iran-us-talks/feed.atom" | grep -o 'urn:dossier:iran-us-talks:[0-9]*' | sed 's/.*://' | sort -n | tail -1)

echo
for phase in rest busy; do
  echo "summary: $phase: p50 $(pct "$work/$phase.txt" 50.00) ms, p99 $(pct "$work/$phase.txt" 99.00) ms, p99.9 $(pct "$work/$phase.txt" 99.90) ms; $(awk '/Success rate/ {print "success " $3}' "$work/$phase.txt")"
done
echo "summary: $edits edits made; the feed's newest entry is number $seq_now"
