# Sourced by the scripts beside it (from the repository's root, with PORT set): builds what
# they need, and `start BRIEFINGS DEFAULT_TOPIC` runs a release `dossier serve` with the HTTP
# interactions endpoint on 127.0.0.1:$PORT, logging to $work/serve.log.
command -v oha >/dev/null || cargo install oha --version 1.16.0 --locked
cargo build --release --locked --bin dossier --example sign_interaction --example bench_tree
work=$(mktemp -d)
pid=
stop_extra() { :; } # a script that starts more processes redefines it
cleanup() { stop_extra; [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
PUB=$(target/release/examples/sign_interaction pubkey)

start() { # BRIEFINGS DEFAULT_TOPIC
  cat > "$work/dossier.toml" <<CFG
briefings = "$1"
default_topic = "$2"
[discord]
application_id = "1000000000000000001"
public_key = "$PUB"
interactions_listen = "127.0.0.1:$PORT"
CFG
  RUST_LOG=info "${DOSSIER_BIN:-target/release/dossier}" serve --config "$work/dossier.toml" 2>"$work/serve.log" &
  pid=$!
  for _ in $(seq 600); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && return; sleep 0.1; done
  echo "serve did not start" >&2; cat "$work/serve.log" >&2; exit 1
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }
body() { # ACTOR -> body file
  sed "s/\"value\":\"iran\"/\"value\":\"$1\"/" bench/interactions/body.json > "$work/body.json"
}
