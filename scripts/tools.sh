#!/usr/bin/env bash
# Installs the build tools Rekey needs, once per machine. Idempotent: every step checks first.
# Versions are the ones verified on this machine (see ../shared/TOOLCHAIN.md in the workspace).
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.10
# Must equal the `wasm-bindgen` pinned in Cargo.toml (and so in Cargo.lock).
WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\033[1m[tools]\033[0m %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! rustup component list --installed | grep -q '^rustfmt'; then
  say "adding rustfmt (make test checks the formatting)"
  rustup component add rustfmt
fi

if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 12 minutes, once per machine)"
  cargo install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION"
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 2 minutes, once per machine)"
  # Not --locked: the CLI's own lockfile pins crates that do not build with this rustc.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# wasm-opt comes from npm binaryen (Debian's 108 builds a .wasm that fails to hydrate).
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -x node_modules/.bin/sass ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm build tools (binaryen for wasm-opt, sass)"
  npm ci --no-audit --no-fund
fi
say "build tools ready"
