#!/usr/bin/env bash
# `make soak`: a bounded mixed load on the release server, on SQLite and then on PostgreSQL
# (SOAK_SECONDS each, default 180; SOAK_CONNECTIONS, default 8). Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${SOAK_SECONDS:-180}
connections=${SOAK_CONNECTIONS:-8}
TEST_POSTGRES_URL=$(scripts/postgres.sh)
export TEST_POSTGRES_URL SERVER_BIN="$CARGO_TARGET_DIR/release/server"
cargo build --release -p backend --example soak
status=0
for db in sqlite postgres; do
  echo "== soak on $db"
  "$CARGO_TARGET_DIR/release/examples/soak" "$db" "$seconds" "$connections" || status=1
done
exit $status
