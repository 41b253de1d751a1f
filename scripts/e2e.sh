#!/usr/bin/env bash
# Playwright in Debian's chromium against the release server on a fresh SQLite database.
# Arguments go to `playwright test` (`make snapshots` passes `--project gallery --no-deps --update-snapshots`).
set -uo pipefail
cd "$(dirname "$0")/.."
e2e_dir=$(mktemp -d -t rekey-e2e.XXXXXX)
trap 'rm -rf "$e2e_dir"' EXIT
cd end2end &&
  SERVER_BIN="$CARGO_TARGET_DIR/release/server" E2E_DATABASE_URL="sqlite://$e2e_dir/rekey.db" \
    npx playwright test "$@"
