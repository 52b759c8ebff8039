#!/usr/bin/env bash
# Run deploy/compose.yaml as a user runs it and check it (tests/it/compose.rs): the image built
# from the Dockerfile, PostgreSQL, two replicas, a fake Discord on the host's side of the compose
# network. Not part of `.ci/run`: it needs root, podman and an image build of half an hour the
# first time (a minute or two after that).
#   tests/compose/run.sh
# Environment:
#   COMPOSE="podman compose"   the compose tool (default: podman-compose, installed from PyPI
#                              into target/compose-venv when it is not on PATH)
#   CONTAINERS_CONF=…          podman's settings (a sandbox without setrlimit needs runc and no
#                              default ulimits)
#   BUILD_ARGS="--network host" extra arguments for `podman build`
#   REBUILD=1                  build the dossier image even when it exists
# On a machine that reaches no image registry, make the base images first (Debian, Rust,
# distroless stand-ins); a missing postgres:16 is then replaced by tests/compose/postgres, a
# stand-in built from Debian's PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v podman >/dev/null || { echo "podman is needed (apt-get install podman)" >&2; exit 2; }
if [ -z "${COMPOSE:-}" ]; then
  if command -v podman-compose >/dev/null; then
    COMPOSE=podman-compose
  else
    venv=target/compose-venv
    [ -x "$venv/bin/podman-compose" ] || {
      python3 -m venv "$venv"
      "$venv/bin/pip" install -q --disable-pip-version-check "podman-compose==1.6.0"
    }
    COMPOSE=$PWD/$venv/bin/podman-compose
  fi
fi
export COMPOSE
read -r -a build_args <<< "${BUILD_ARGS:-}"
if ! podman image exists docker.io/library/postgres:16; then
  podman pull docker.io/library/postgres:16 2>/dev/null ||
    podman build --pull=never "${build_args[@]}" -t docker.io/library/postgres:16 tests/compose/postgres
fi
if [ -n "${REBUILD:-}" ] || ! podman image exists localhost/dossier:latest; then
  # From the committed tree plus the working tree's changes, without target/.
  podman build "${build_args[@]}" -t localhost/dossier:latest .
fi
cargo test --locked --test it -- --ignored --exact --nocapture \
  compose::the_compose_deployment_runs_two_replicas_that_share_the_work_and_fail_over
