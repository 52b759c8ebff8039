#!/usr/bin/env bash
# Load test of POST /interactions with signed `/position iran` requests: dossier's HTTP
# interactions endpoint against the reference (npm discord-interactions + express), driven by
# the same load generator (oha) at the same concurrency, on 127.0.0.1 only.
#
#   bench/interactions/run.sh            (CONCURRENCY=32 DURATION=15s by default; ACTOR=turkiye;
#                                         LOADGEN=wrk)
#
# Where the charts' edits go after each answer: DISCORD=ok (default: a fake Discord on
# 127.0.0.1 that takes every edit), DISCORD=429 (it answers every edit with a 429, retry_after
# 1 s), DISCORD=down (a closed port: Discord unreachable). CHARTS=off turns the charts off.
# LATENCY_MS=n: the fake answers each edit after n ms, as a Discord across the internet does
# (default 0: at once, so its work and the edits' compete with the load for the same cores).
#
# Prints requests/s and latency percentiles for both, the ratio, dossier's p99 at half its peak
# rate, and the resident memory of `dossier serve` after the run. DOSSIER_BIN=path measures
# another build of dossier (an older commit's, for a before/after in one session).
set -euo pipefail
cd "$(dirname "$0")/../.."
C=${CONCURRENCY:-32}
D=${DURATION:-15s}
DOSSIER_PORT=${DOSSIER_PORT:-18080}
REF_PORT=${REF_PORT:-18081}
FAKE_PORT=${FAKE_PORT:-18082}
DISCORD=${DISCORD:-ok}
# PIN=1: each server on CPU 1 and the load generator on CPU 0, so the generator does not steal
# the server's CPU (on a 2-core machine it otherwise takes about one core itself).
if [ "${PIN:-0}" = 1 ]; then SERVER_CPU=(taskset -c 1); LOAD_CPU=(taskset -c 0); else SERVER_CPU=(); LOAD_CPU=(); fi

command -v oha >/dev/null || cargo install oha --version 1.16.0 --locked
command -v node >/dev/null || { echo "node is needed for the reference server" >&2; exit 2; }
cargo build --release --locked --bin dossier --example sign_interaction
(cd bench/interactions/reference && { npm ci --silent --no-audit --no-fund 2>/dev/null || npm install --silent --no-audit --no-fund; })

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

PUB=$(target/release/examples/sign_interaction pubkey)
case "$DISCORD" in
  ok|429) PROXY="http://127.0.0.1:$FAKE_PORT"
          MODE=$DISCORD PORT=$FAKE_PORT node bench/interactions/fake-discord.js & pids+=($!) ;;
  down) PROXY="http://127.0.0.1:1" ;;
  *) echo "DISCORD is ok, 429 or down" >&2; exit 2 ;;
esac
cat > "$work/dossier.toml" <<CFG
briefings = "$PWD/briefings"
[discord]
application_id = "1000000000000000001"
public_key = "$PUB"
interactions_listen = "127.0.0.1:$DOSSIER_PORT"
api_proxy = "$PROXY"
CFG
[ "${CHARTS:-on}" = off ] && printf '[charts]\nenabled = false\n' >> "$work/dossier.toml"

DOSSIER_BIN=${DOSSIER_BIN:-target/release/dossier}
RUST_LOG=warn "${SERVER_CPU[@]}" "$DOSSIER_BIN" serve --config "$work/dossier.toml" & pids+=($!)
DOSSIER_PID=$!
PUBLIC_KEY=$PUB PORT=$REF_PORT "${SERVER_CPU[@]}" node bench/interactions/reference/server.js & pids+=($!)
for port in "$DOSSIER_PORT" "$REF_PORT"; do
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
done

RSS_IDLE=$(awk '/VmRSS/ {print $2, $3}' "/proc/$DOSSIER_PID/status")

# ACTOR=turkiye asks `/position actor:turkiye` (a short answer) instead of Iran's long one.
body=$work/body.json
sed "s/\"value\":\"iran\"/\"value\":\"${ACTOR:-iran}\"/" bench/interactions/body.json > "$body"
read -r TS SIG < <(target/release/examples/sign_interaction sign "$body")
load() { # URL [extra oha args...]
  local url=$1; shift
  "${LOAD_CPU[@]}" oha --no-tui -z "$D" -c "$C" -m POST -H "content-type: application/json" \
    -H "x-signature-ed25519: $SIG" -H "x-signature-timestamp: $TS" -D "$body" "$@" "$url"
}
# LOADGEN=wrk: the peak rates come from wrk (Debian's `wrk`, lighter on a 2-core machine than
# oha, so more of it is left to the servers); the latency at half the peak still from oha,
# which can hold a rate.
if [ "${LOADGEN:-oha}" = wrk ]; then
  command -v wrk >/dev/null || { echo "LOADGEN=wrk needs wrk (apt-get install wrk)" >&2; exit 2; }
  python3 - "$body" "$SIG" "$TS" > "$work/post.lua" <<'PY'
import json, sys
body, sig, ts = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
print('wrk.method = "POST"')
print('wrk.body = ' + json.dumps(body))
print('wrk.headers["content-type"] = "application/json"')
print(f'wrk.headers["x-signature-ed25519"] = "{sig}"')
print(f'wrk.headers["x-signature-timestamp"] = "{ts}"')
PY
  peak() { "${LOAD_CPU[@]}" wrk -t2 -c "$C" -d "$D" --latency -s "$work/post.lua" "$1"; }
else
  peak() { load "$1"; }
fi
# Both must answer the signed request correctly before being measured.
curl -fs -X POST -H "content-type: application/json" -H "x-signature-ed25519: $SIG" -H "x-signature-timestamp: $TS" \
  --data-binary @"$body" "http://127.0.0.1:$DOSSIER_PORT/interactions" | grep -q ': position"'
curl -fs -X POST -H "content-type: application/json" -H "x-signature-ed25519: $SIG" -H "x-signature-timestamp: $TS" \
  --data-binary @"$body" "http://127.0.0.1:$REF_PORT/interactions" | grep -q 'fixed reference answer'

echo "== reference (discord-interactions + express), $C connections, $D"
peak "http://127.0.0.1:$REF_PORT/interactions" | tee "$work/ref.txt"
echo "== dossier serve (HTTP endpoint), $C connections, $D"
peak "http://127.0.0.1:$DOSSIER_PORT/interactions" | tee "$work/dossier.txt"
rps() { awk '/Requests\/sec/ {print $2; exit}' "$1"; }
R_REF=$(rps "$work/ref.txt"); R_DOS=$(rps "$work/dossier.txt")
HALF=$(awk -v r="$R_DOS" 'BEGIN {printf "%d", r/2}')
echo "== dossier at half its peak rate ($HALF req/s)"
load "http://127.0.0.1:$DOSSIER_PORT/interactions" -q "$HALF" --latency-correction | tee "$work/half.txt"
RSS=$(awk '/VmRSS/ {print $2, $3}' "/proc/$DOSSIER_PID/status")
echo
echo "summary: reference $R_REF req/s; dossier $R_DOS req/s; ratio $(awk -v a="$R_DOS" -v b="$R_REF" 'BEGIN {printf "%.2f", a/b}')x"
echo "summary: dossier p99 at $HALF req/s: $(awk '/99.00%/ {print $3, $4; exit}' "$work/half.txt")"
echo "summary: dossier serve resident memory after the run: $RSS (idle before it: $RSS_IDLE)"
edits=""
[ "$DISCORD" = down ] || edits="edits seen by the fake Discord: $(curl -fs "http://127.0.0.1:$FAKE_PORT/count"); "
echo "summary: charts ${CHARTS:-on}, Discord $DISCORD (latency ${LATENCY_MS:-0} ms); $edits$(curl -fs "http://127.0.0.1:$DOSSIER_PORT/metrics" | grep -E '^dossier_discord_followups_(dropped_total|waiting)' | tr '\n' ' ')"
