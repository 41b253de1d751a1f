#!/usr/bin/env bash
# Prints a PostgreSQL URL for the tests: $TEST_POSTGRES_URL when set, else the local server
# (started if stopped, with a `rekey` role and database made once). Fails loudly otherwise:
# the PostgreSQL tests never skip silently.
#
# `scripts/postgres.sh --tidy` instead drops the databases tests and benchmarks made on the local
# server (rekey_test_*, rekey_router_*, rekey_load_*); `make test` runs it before and after.
set -euo pipefail
tidy=false
[ "${1:-}" = --tidy ] && tidy=true
if [ -n "${TEST_POSTGRES_URL:-}" ]; then
  $tidy || echo "$TEST_POSTGRES_URL" # someone else's server: left as it is
  exit 0
fi
fail() {
  echo "error: no PostgreSQL for the tests: $*" >&2
  echo "       set TEST_POSTGRES_URL=postgres://user:password@host:5432/db (a user that may CREATE DATABASE)," >&2
  echo "       or run as root on Debian so 'make test' can install and start the local server." >&2
  exit 1
}
command -v pg_lsclusters >/dev/null || fail "Debian's postgresql is not installed"
cluster=$(pg_lsclusters --no-header | awk 'NR==1 {print $1" "$2}')
[ -n "$cluster" ] || fail "no PostgreSQL cluster exists (pg_createcluster)"
read -r version name <<<"$cluster"
port=$(pg_lsclusters --no-header | awk 'NR==1 {print $3}')
if ! pg_lsclusters --no-header | awk 'NR==1 {print $4}' | grep -q online; then
  [ "$(id -u)" = 0 ] || fail "cluster $version/$name is stopped and starting it needs root"
  # After an unclean stop the server fsyncs its whole data directory before it answers, which
  # takes minutes on a slow disk; pg_ctl's own wait is one minute.
  pg_ctlcluster "$version" "$name" start -- -t 900 >&2
fi
as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -c "$1"; else eval "$1"; fi; }
for _ in $(seq 1 30); do
  as_postgres "psql -p $port -tAc 'SELECT 1'" >/dev/null 2>&1 && break
  sleep 0.5
done
as_postgres "psql -p $port -tAc \"SELECT 1 FROM pg_roles WHERE rolname='rekey'\"" | grep -q 1 ||
  as_postgres "psql -p $port -qc \"CREATE ROLE rekey LOGIN CREATEDB PASSWORD 'rekey'\"" >&2
as_postgres "psql -p $port -tAc \"SELECT 1 FROM pg_database WHERE datname='rekey'\"" | grep -q 1 ||
  as_postgres "psql -p $port -qc 'CREATE DATABASE rekey OWNER rekey'" >&2
if $tidy; then
  # Each test makes its own database and leaves it behind; left alone they grow into thousands
  # (and gigabytes) across runs.
  as_postgres "psql -p $port -tAc \"SELECT datname FROM pg_database WHERE datname ~ '^rekey_(test|router|load)_'\"" |
    sed 's/.*/DROP DATABASE IF EXISTS "&";/' | as_postgres "psql -q -p $port" >&2
  exit 0
fi
echo "postgres://rekey:rekey@127.0.0.1:$port/rekey"
