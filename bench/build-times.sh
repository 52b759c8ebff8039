#!/usr/bin/env bash
# Cold and one-line-change build times of `dossier` in the `release` and `dist` profiles, on a
# copy of this checkout with a target folder of its own (the working tree is not touched).
#   bench/build-times.sh [WORKDIR]     (default /tmp/dossier-build-times)
# Prints one line per build: profile, kind, seconds. Uses both cores; takes a while.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
W=${1:-/tmp/dossier-build-times}
rm -rf "$W" && mkdir -p "$W/src"
git -C "$here" archive HEAD | tar -x -C "$W/src"
cd "$W/src"
secs() { local s; s=$(date +%s.%N); "$@" >/dev/null 2>"$W/last.log" || { cat "$W/last.log"; exit 1; }; echo "$(date +%s.%N) - $s" | bc; }
for profile in release dist; do
  t=$W/target-$profile
  cold=$(secs cargo build --profile "$profile" --locked --bin dossier --target-dir "$t")
  echo "$profile cold $cold"
  # A one-line change in the core, as a developer makes: the crate rebuilds and relinks.
  echo "// a one-line change" >> src/app.rs
  warm=$(secs cargo build --profile "$profile" --locked --bin dossier --target-dir "$t")
  echo "$profile one-line-change $warm"
  git -C "$here" show HEAD:src/app.rs > src/app.rs
  size=$(stat -c %s "$t/$profile/dossier")
  echo "$profile binary-bytes $size"
done
