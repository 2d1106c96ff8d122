# The two commands a newcomer needs:
#   make demo   start a local broker (unless MQTT_BROKER=host:port names one) and show
#               messages crossing between the Rust, C, Python and Node clients
#   make test   every check: lint, header drift, codec fuzzing, and each language's tests
#               against real brokers started on free loopback ports
# Both install what they need first (scripts/setup.sh: apt, pip into .venv, npm, cargo).

SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -euo pipefail -c
export PATH := $(HOME)/.cargo/bin:$(PATH):/usr/sbin
export CARGO_TERM_COLOR ?= never
FUZZ_SECONDS ?= 60
LANGS := rust c python node

# make lint runs every linter: each kind of check is a lint-<what> target named in LINTS, so
# a new linter is one target and one word here.
LINTS := lint-rust lint-header lint-faces

# Every target is a command, none a file (bench/ and fuzz/ are folders of the same name).
.PHONY: setup build lint $(LINTS) header fuzz demo test soak bench

setup:
	scripts/setup.sh

# Everything the faces and examples need, debug profile (tests and demo share it).
build: setup
	cargo build -q -p ferromq --examples
	cargo build -q -p ferromq-ffi
	python/develop
	node node/build-addon.js

lint: $(LINTS)

lint-rust: setup
	cargo fmt --all -- --check
	cargo clippy -q --workspace --all-targets -- -D warnings
	# The crate denies missing docs; broken doc links are caught here.
	RUSTDOCFLAGS="-D warnings" cargo doc -q -p ferromq --no-deps

# The committed include/mqtt.h is what cbindgen makes of ffi-c/src.
lint-header: setup
	ffi-c/gen-header --check

# Python (ruff, mypy --strict) and Node (eslint, tsc --checkJs): scripts/lint-faces.
lint-faces: setup
	scripts/lint-faces

header: setup
	ffi-c/gen-header

fuzz: setup
	fuzz/run $(FUZZ_SECONDS)

demo: build
	if [ -n "$${MQTT_BROKER:-}" ]; then
	  tests/cross/run $(LANGS)
	else
	  echo "demo: MQTT_BROKER is not set, starting a local mosquitto"
	  tests/harness/with-brokers tests/cross/run $(LANGS)
	fi

# make test runs every stage even when one fails, then reports each and fails if any did.
test: setup
	scripts/test-all

# The soak run (issue 14; not in make test): 1 M messages, then 10 000 reconnect cycles with
# the broker killed and restarted every 100th; prints RSS and open descriptors (~30 min).
# SOAK_MESSAGES and SOAK_CYCLES make it shorter.
soak: setup
	cargo test --release -q -p ferromq --test soak -- --ignored --nocapture

# Benchmarks (issue 6, in progress): every face in release beside its usual peer and the
# broker's ceiling; writes bench/results/latest.md and latest.csv (~17 min).
bench: setup
	bench/run
