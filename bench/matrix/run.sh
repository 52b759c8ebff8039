#!/usr/bin/env bash
# Round trip of `!position iran` from a real Matrix client (matrix-nio, from PyPI) through a
# real Synapse (scripts/synapse-venv) to a release `dossier serve` and back, on 127.0.0.1.
#   bench/matrix/run.sh              (N=100; DOSSIER_BIN=path measures another build)
#   BOT_LOG=warn,matrix_sdk_base::client=info sets the bot's log filter (the SDK's time per sync).
#   PAUSE_MS=500 waits that long after each reply before the next command (a reader, not a
#   script); CHARTS=off turns dossier's charts off; COMMAND="!topics" asks something else.
# See roundtrip.py for the legs it prints.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-100}
PORT=${PORT:-18448}
SECRET=dossier-bench-registration-secret
venv=$(scripts/synapse-venv)
nio=target/nio-venv
[ -x "$nio/bin/python" ] && "$nio/bin/python" -c "import nio" 2>/dev/null || {
  python3 -m venv "$nio"
  "$nio/bin/pip" install -q --disable-pip-version-check "matrix-nio==0.26.0"
}
if [ -z "${DOSSIER_BIN:-}" ]; then
  cargo build --release --locked --bin dossier
  DOSSIER_BIN=target/release/dossier
fi
work=$(mktemp -d)
syn=
cleanup() { [ -n "$syn" ] && kill "$syn" 2>/dev/null; [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"; }
trap cleanup EXIT
(cd "$work" && "$venv/bin/python" -m synapse.app.homeserver --server-name localhost \
  --config-path homeserver.yaml --generate-config --report-stats=no >/dev/null)
rc="{per_second: 1000, burst_count: 1000}"
cat > "$work/test.yaml" <<YAML
listeners:
  - port: $PORT
    bind_addresses: ['127.0.0.1']
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
registration_shared_secret: "$SECRET"
enable_registration: false
trusted_key_servers: []
suppress_key_server_warning: true
presence:
  enabled: false
report_stats: false
url_preview_enabled: false
rc_message: $rc
rc_registration: $rc
rc_login:
  address: $rc
  account: $rc
  failed_attempts: $rc
rc_joins:
  local: $rc
  remote: $rc
rc_joins_per_room: $rc
rc_invites:
  per_room: $rc
  per_user: $rc
  per_issuer: $rc
rc_room_creation: $rc
YAML
(cd "$work" && exec "$venv/bin/python" -m synapse.app.homeserver -c homeserver.yaml -c test.yaml \
  >"$work/synapse.log" 2>&1) &
syn=$!
url=http://127.0.0.1:$PORT
for _ in $(seq 300); do curl -fs "$url/_matrix/client/versions" >/dev/null && break; sleep 0.1; done
"$nio/bin/python" bench/matrix/roundtrip.py "$url" "$SECRET" "$DOSSIER_BIN" "$PWD/briefings" "$N"
