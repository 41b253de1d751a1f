# Rekey: `make run` serves the app, `make test` runs every test. Both install what is missing.
SHELL := /bin/bash
.DEFAULT_GOAL := run

# One warm build directory per machine, outside the clone, so fresh clones build fast.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/rekey/target
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

ADDR ?= 127.0.0.1:3000
SERVER := $(CARGO_TARGET_DIR)/release/server
# What cargo-leptos would set when it runs the server; needed to run the binary directly.
LEPTOS_ENV_VARS := LEPTOS_OUTPUT_NAME=rekey LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg \
	LEPTOS_ENV=PROD LEPTOS_SITE_ADDR=$(ADDR) LEPTOS_RELOAD_PORT=3001

.PHONY: run dev test tools test-deps build check fmt clean bench-timing bench-slider audit snapshots proptest soak bench

## run: install tools if missing, build release, migrate data/rekey.db and serve on $(ADDR)
run: build
	@mkdir -p data
	$(LEPTOS_ENV_VARS) $(SERVER) serve

## dev: rebuild on change; CSS changes reload without a page reload
dev: tools
	cargo leptos watch

## test: unit, storage (SQLite + PostgreSQL), router and end-to-end tests
test: tools test-deps build
	@scripts/test.sh

## snapshots: re-take the gallery screenshots (end2end/snapshots/) after a change of look
snapshots: tools test-deps build
	@scripts/e2e.sh --project gallery --no-deps --update-snapshots

## proptest: the parser and trajectory property tests with 50,000 cases each (make test runs 256)
proptest:
	PROPTEST_CASES=50000 cargo test --release -p domain --test parsers -p backend --test trajectories

## soak: mixed load for SOAK_SECONDS (180) on SQLite, then PostgreSQL; prints errors, p50/p99, RSS
soak: build test-deps
	@scripts/soak.sh

tools:
	@scripts/tools.sh

test-deps:
	@scripts/test-deps.sh

# The app's files named by their content, listed in target/site-hash.txt (server/src/site.rs).
build: tools
	LEPTOS_HASH_FILES=true LEPTOS_HASH_FILE_NAME=$(CURDIR)/target/site-hash.txt \
		cargo leptos build --release --precompress

## bench: sizes, page times, start/send throughput and the enumeration gap, sign-ins against the
## argon2id ceiling, memory; one table, also in bench/latest.md (BENCH_DB=postgres for PostgreSQL)
bench: build
	@scripts/bench.sh

## bench-timing: start/send answer times for known vs unknown addresses, then wrong-password
## sign-ins at the configured cost, an older cost and for no account (prints, asserts nothing)
bench-timing:
	cargo run --release -p backend --example recovery_timing -- $(or $(ROUNDS),500) $(or $(SIGN_INS),200)

## bench-slider: slider pass rates (human-like corpus, each bot) and proof-of-work time in chromium
bench-slider: build test-deps
	@scripts/bench-slider.sh

## audit: Lighthouse performance, accessibility and best-practices scores of three pages
audit: build test-deps
	@scripts/audit.sh

check:
	cargo check -p server
	cargo check -p frontend --target wasm32-unknown-unknown

fmt:
	cargo fmt --all

clean:
	rm -rf target/site end2end/test-results
