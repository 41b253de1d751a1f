#!/usr/bin/env bash
# Runs every test after `make test` has installed and built what they need:
#   1. unit, storage (SQLite and PostgreSQL) and router tests (cargo test),
#   2. end-to-end tests in Debian's chromium against the release server on a fresh database.
# Exits non-zero if anything failed; the last line is the end-to-end count.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0

TEST_POSTGRES_URL=$(scripts/postgres.sh) || exit 1
export TEST_POSTGRES_URL

echo "== unit, storage and router tests"
if ! cargo test --workspace --exclude frontend --no-fail-fast; then
  echo "!! unit, storage or router tests failed (see above); running the end-to-end tests anyway"
  status=1
fi

echo "== end-to-end tests (release build, fresh SQLite database)"
scripts/e2e.sh || status=1
exit $status
