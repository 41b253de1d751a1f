#!/usr/bin/env bash
# `make bench-slider`: pass rates of the slider's judge on generated human-like and bot
# movements, then the proof-of-work time in the browser against the release server.
# Prints figures; asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --quiet --release -p backend --example slider_rates -- "${RUNS:-2000}"

dir=$(mktemp -d -t rekey-bench.XXXXXX)
port=3190
REKEY_ENV=development SLIDER_POLICY=always DATABASE_URL="sqlite://$dir/rekey.db" RUST_LOG=warn \
  LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg \
  LEPTOS_OUTPUT_NAME=rekey LEPTOS_ENV=PROD "$CARGO_TARGET_DIR/release/server" serve >"$dir/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.1
done
(cd end2end && node bench-pow.mjs "http://127.0.0.1:$port" "${POW_RUNS:-10}")
