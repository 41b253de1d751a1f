#!/usr/bin/env bash
# `make bench`: the release build measured against the budgets of DESIGN.md §8, one table,
# also written to bench/latest.md. BENCH_DB=postgres runs it on PostgreSQL. Loopback only.
# BENCH_ONLY=sign-in (or recovery) runs only those phases and only prints the table.
set -euo pipefail
cd "$(dirname "$0")/.."
db=${BENCH_DB:-sqlite}
if [ "$db" = postgres ]; then
  TEST_POSTGRES_URL=$(scripts/postgres.sh)
  export TEST_POSTGRES_URL
fi
export SERVER_BIN="$CARGO_TARGET_DIR/release/server"
cargo build --release -p backend --example bench
mkdir -p bench
out=bench/latest.md
[ "$db" = postgres ] && out=bench/latest-postgres.md
if [ -n "${BENCH_ONLY:-}" ]; then
  "$CARGO_TARGET_DIR/release/examples/bench" "$db"
else
  "$CARGO_TARGET_DIR/release/examples/bench" "$db" "$out"
fi
