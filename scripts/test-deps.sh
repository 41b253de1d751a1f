#!/usr/bin/env bash
# Installs what the tests need beyond the build tools: Debian chromium for Playwright, the
# end-to-end npm packages (no browser download), and a PostgreSQL server. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1m[test-deps]\033[0m %s\n' "$*"; }

apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "error: '$*' is missing and installing it needs root (apt-get install $*)" >&2
    exit 1
  fi
  if [ ! -f /tmp/.rekey-apt-updated ]; then apt-get update -qq && touch /tmp/.rekey-apt-updated; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if [ ! -x /usr/bin/chromium ]; then
  say "installing Debian chromium"
  apt_install chromium
fi

if [ -z "${TEST_POSTGRES_URL:-}" ] && ! command -v pg_ctlcluster >/dev/null; then
  say "installing Debian postgresql"
  apt_install postgresql
fi

if [ ! -d end2end/node_modules/@playwright/test ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  say "installing end-to-end npm packages"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi
say "test dependencies ready"
