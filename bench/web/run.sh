#!/usr/bin/env bash
# Load test of the web pages beside the Discord interactions endpoint, in one `serve` on one
# 127.0.0.1 listener: GET /t/iran-us-talks (the brief) and GET of an actor's page, then the
# signed `/position iran` POST /interactions (the reference figure of BENCHMARKS.md), each at
# the same concurrency with the same load generator (oha; LOADGEN=wrk for wrk).
#
#   bench/web/run.sh            (CONCURRENCY=32 DURATION=10s by default)
#
# Prints requests/s and latency for each, and the pages' rate as a ratio of the endpoint's.
# DOSSIER_BIN=path measures another build.
set -euo pipefail
cd "$(dirname "$0")/../.."
C=${CONCURRENCY:-32}
D=${DURATION:-10s}
PORT=${DOSSIER_PORT:-18090}
command -v oha >/dev/null || cargo install oha --version 1.16.0 --locked
cargo build --release --locked --bin dossier --example sign_interaction

work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

PUB=$(target/release/examples/sign_interaction pubkey)
cat > "$work/dossier.toml" <<CFG
briefings = "$PWD/briefings"
state = "$work/state"
[http]
listen = "127.0.0.1:$PORT"
[web]
public_url = "https://briefings.example.org"
[discord]
application_id = "1000000000000000001"
public_key = "$PUB"
interactions_listen = "127.0.0.1:$PORT"
CFG
DOSSIER_BIN=${DOSSIER_BIN:-target/release/dossier}
RUST_LOG=warn "$DOSSIER_BIN" serve --config "$work/dossier.toml" & pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

body=$work/body.json
cp bench/interactions/body.json "$body"
read -r TS SIG < <(target/release/examples/sign_interaction sign "$body")
curl -fs "http://127.0.0.1:$PORT/t/iran-us-talks" | grep -q '<h1>'
curl -fs -X POST -H "content-type: application/json" -H "x-signature-ed25519: $SIG" -H "x-signature-timestamp: $TS" \
  --data-binary @"$body" "http://127.0.0.1:$PORT/interactions" | grep -q ': position"'

get() { # URL
  if [ "${LOADGEN:-oha}" = wrk ]; then wrk -t2 -c "$C" -d "$D" --latency "$1"; else oha --no-tui -z "$D" -c "$C" "$1"; fi
}
post() { # URL
  if [ "${LOADGEN:-oha}" = wrk ]; then
    python3 - "$body" "$SIG" "$TS" > "$work/post.lua" <<'PY'
import json, sys
body, sig, ts = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
print('wrk.method = "POST"')
print('wrk.body = ' + json.dumps(body))
print('wrk.headers["content-type"] = "application/json"')
print(f'wrk.headers["x-signature-ed25519"] = "{sig}"')
print(f'wrk.headers["x-signature-timestamp"] = "{ts}"')
PY
    wrk -t2 -c "$C" -d "$D" --latency -s "$work/post.lua" "$1"
  else
    oha --no-tui -z "$D" -c "$C" -m POST -H "content-type: application/json" \
      -H "x-signature-ed25519: $SIG" -H "x-signature-timestamp: $TS" -D "$body" "$1"
  fi
}
echo "== GET /t/iran-us-talks (the brief), $C connections, $D"
get "http://127.0.0.1:$PORT/t/iran-us-talks" | tee "$work/brief.txt"
echo "== GET /t/iran-us-talks/actors/iran, $C connections, $D"
get "http://127.0.0.1:$PORT/t/iran-us-talks/actors/iran" | tee "$work/actor.txt"
echo "== POST /interactions (/position iran, signed), $C connections, $D"
post "http://127.0.0.1:$PORT/interactions" | tee "$work/endpoint.txt"
rps() { awk '/Requests\/sec/ {print $2; exit}' "$1"; }
B=$(rps "$work/brief.txt"); A=$(rps "$work/actor.txt"); E=$(rps "$work/endpoint.txt")
echo
echo "summary: brief $B req/s; actor page $A req/s; endpoint $E req/s"
echo "summary: brief / endpoint $(awk -v a="$B" -v b="$E" 'BEGIN {printf "%.2f", a/b}')x; actor / endpoint $(awk -v a="$A" -v b="$E" 'BEGIN {printf "%.2f", a/b}')x"
echo "summary: serve resident memory after the run: $(awk '/VmRSS/ {print $2, $3}' "/proc/$pid/status")"
