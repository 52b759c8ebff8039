#!/bin/sh
# The stand-in's start: on an empty data volume, make the cluster with POSTGRES_USER as its
# superuser (password from POSTGRES_PASSWORD_FILE or POSTGRES_PASSWORD, SCRAM over TCP) and
# POSTGRES_DB; then run the server on every interface of the container's network.
set -eu
bin=/usr/lib/postgresql/15/bin
data=${PGDATA:-/var/lib/postgresql/data}
user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$data" /var/run/postgresql
  chown -R postgres:postgres "$data" /var/run/postgresql
  chmod 700 "$data"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
if [ ! -s "$data/PG_VERSION" ]; then
  if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
    password=$(cat "$POSTGRES_PASSWORD_FILE")
  else
    password=${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE}
  fi
  pwfile=$(mktemp)
  printf '%s' "$password" > "$pwfile"
  "$bin/initdb" -D "$data" -U "$user" --pwfile="$pwfile" --auth-local=trust \
    --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >> "$data/pg_hba.conf"
  if [ "$db" != postgres ]; then
    "$bin/pg_ctl" -D "$data" -o "-c listen_addresses=''" -w start >/dev/null
    "$bin/createdb" -U "$user" "$db"
    "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
  fi
fi
exec "$bin/postgres" -D "$data" -c listen_addresses='*'
