#!/usr/bin/env bash
# Runs every test after `make test` has installed and built what they need:
#   1. formatting (`cargo fmt --check`), then unit, storage (SQLite and PostgreSQL) and router
#      tests (cargo test),
#   2. end-to-end tests in Debian's chromium against the release server on a fresh database.
# Exits non-zero if anything failed; the last line is the end-to-end count.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0

# The tests' SQLite files and PostgreSQL databases last for this run only (a server named by
# the caller's own TEST_POSTGRES_URL is left alone).
given_postgres=${TEST_POSTGRES_URL:-}
scripts/postgres.sh --tidy || exit 1
TEST_POSTGRES_URL=$(scripts/postgres.sh) || exit 1
export TEST_POSTGRES_URL
TMPDIR=$(mktemp -d -t rekey-tests.XXXXXX)
export TMPDIR
tidy() {
  rm -rf "$TMPDIR"
  TEST_POSTGRES_URL=$given_postgres scripts/postgres.sh --tidy || true
}
trap tidy EXIT

echo "== formatting (cargo fmt --all -- --check)"
if ! cargo fmt --all -- --check; then
  echo "!! code is not formatted: run \`make fmt\`; running the tests anyway"
  status=1
fi

echo "== unit and storage tests"
if ! cargo test --workspace --exclude frontend --exclude server --no-fail-fast; then
  echo "!! unit or storage tests failed (see above); running the others anyway"
  status=1
fi

# The router tests render pages in-process, each test on its own tokio runtime. Run in
# parallel inside one process, about one run in twenty left a server-rendered page (one with
# async data, e.g. /account, /recover/verify) waiting forever; one test at a time, none did
# (40 runs of the recovery tests). A server has a single runtime, so this is an artefact of sharing the
# process, not something a shopper can meet; the router tests run one at a time.
echo "== router tests (one at a time)"
if ! cargo test -p server --no-fail-fast -- --test-threads=1; then
  echo "!! router tests failed (see above); running the end-to-end tests anyway"
  status=1
fi

echo "== end-to-end tests (release build, fresh SQLite database)"
scripts/e2e.sh || status=1
exit $status
