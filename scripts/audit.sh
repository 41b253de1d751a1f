#!/usr/bin/env bash
# `make audit`: Lighthouse (npm lighthouse 12.2.3, Debian's chromium) on /login, /recover and
# /recover/code of the release server; prints the performance, accessibility and best-practices
# scores. Prints figures; asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
(cd audit && [ -x node_modules/.bin/lighthouse ] || npm ci --no-audit --no-fund)

dir=$(mktemp -d -t rekey-audit.XXXXXX)
port=3191
base="http://127.0.0.1:$port"
REKEY_ENV=development SLIDER_POLICY=never DATABASE_URL="sqlite://$dir/rekey.db" RUST_LOG=warn \
  LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg \
  LEPTOS_OUTPUT_NAME=rekey LEPTOS_ENV=PROD "$CARGO_TARGET_DIR/release/server" serve >"$dir/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do
  curl -fs "$base/healthz" >/dev/null && break
  sleep 0.1
done

# /recover/code needs a flow: start one and send the code, keeping the flow cookie for Lighthouse.
jar="$dir/cookies"
curl -fs -c "$jar" -o /dev/null -H 'Accept: application/json' --data 'email=audit@example.com' "$base/api/recover_start"
curl -fs -b "$jar" -c "$jar" -o /dev/null -H 'Accept: application/json' -X POST "$base/api/recover_send"
flow=$(awk '$6 == "rekey_recovery" {print $7}' "$jar")

echo "Lighthouse 12.2.3 (mobile emulation, simulated throttling), release build:"
printf '  %-16s %12s %14s %15s\n' page performance accessibility best-practices
for path in /login /recover /recover/code; do
  extra=()
  [ "$path" = /recover/code ] && extra=(--extra-headers "{\"Cookie\": \"rekey_recovery=$flow\"}")
  CHROME_PATH=/usr/bin/chromium audit/node_modules/.bin/lighthouse "$base$path" \
    --quiet --output=json --output-path="$dir/report.json" \
    --only-categories=performance,accessibility,best-practices \
    --chrome-flags="--headless=new --no-sandbox --disable-gpu" "${extra[@]}" >/dev/null 2>&1 || {
      echo "  $path: lighthouse failed"; continue; }
  node -e '
    const r = require(process.argv[1]);
    const s = (k) => Math.round(r.categories[k].score * 100);
    console.log(`  ${process.argv[2].padEnd(16)} ${String(s("performance")).padStart(12)} ${String(s("accessibility")).padStart(14)} ${String(s("best-practices")).padStart(15)}`);
  ' "$dir/report.json" "$path"
done
