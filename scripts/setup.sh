#!/usr/bin/env bash
# Installs everything the build, the tests and the demo need on a fresh Debian 12 machine
# with only the toolchains (cargo, python3, node, gcc). Idempotent: each step is skipped
# when its tool is already there, so a second run costs a few hundred milliseconds.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v mosquitto >/dev/null || need_apt+=(mosquitto)
command -v mosquitto_passwd >/dev/null || need_apt+=(mosquitto)
command -v mosquitto_sub >/dev/null || need_apt+=(mosquitto-clients)
command -v pkg-config >/dev/null || need_apt+=(pkg-config)
command -v valgrind >/dev/null || need_apt+=(valgrind)
command -v gcc >/dev/null || need_apt+=(gcc)
# The transport tests' servers (tests/harness/transports).
command -v openssl >/dev/null || need_apt+=(openssl)
command -v websockify >/dev/null || need_apt+=(websockify)
command -v tinyproxy >/dev/null || [ -x /usr/sbin/tinyproxy ] || need_apt+=(tinyproxy)
command -v danted >/dev/null || [ -x /usr/sbin/danted ] || need_apt+=(dante-server)
command -v microsocks >/dev/null || need_apt+=(microsocks)
perl -MIO::Socket::Socks -e1 2>/dev/null || need_apt+=(libio-socket-socks-perl)
command -v g++ >/dev/null || need_apt+=(g++)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# The Python build tools live in a project venv so the system interpreter stays clean.
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if ! .venv/bin/python -c 'import maturin, pytest, pytest_asyncio' 2>/dev/null; then
  echo "setup: pip install maturin pytest pytest-asyncio"
  .venv/bin/pip install -q --disable-pip-version-check 'maturin>=1.5,<2' 'pytest>=8' 'pytest-asyncio>=0.23' 'pytest-timeout>=2'
fi
# make lint's Python checks, pinned so a new release's rules cannot fail a clean tree.
lint_py=(ruff==0.17.6 mypy==2.4.1)
if [ "$(.venv/bin/ruff --version 2>/dev/null)" != "ruff 0.17.6" ] ||
   ! .venv/bin/mypy --version 2>/dev/null | grep -q '^mypy 2\.4\.1 '; then
  echo "setup: pip install ${lint_py[*]}"
  .venv/bin/pip install -q --disable-pip-version-check "${lint_py[@]}"
fi

# The version is pinned in ffi-c/gen-header, which says what it found when it differs.
if ! ffi-c/gen-header --has-cbindgen; then
  echo "setup: cargo install cbindgen $(ffi-c/gen-header --cbindgen-version)"
  cargo install -q cbindgen --version "=$(ffi-c/gen-header --cbindgen-version)" --locked --force
fi

# node/ builds its addon with cargo (node/build-addon.js); --ignore-scripts keeps npm from
# running that build here: make build and the test scripts run it in the debug profile.
# Its devDependencies also hold make lint's Node checks (eslint, tsc); a changed package.json
# installs again.
if [ ! -d node/node_modules/@napi-rs/cli ] || [ ! -e node/node_modules/.package-lock.json ] ||
   [ node/package.json -nt node/node_modules/.package-lock.json ]; then
  echo "setup: npm install (node/: @napi-rs/cli, eslint, typescript)"
  (cd node && npm install --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
if [ ! -d tests/node/node_modules/typescript ]; then
  echo "setup: npm install (tests/node: typescript)"
  (cd tests/node && npm install --ignore-scripts --no-audit --no-fund --loglevel=error)
fi

if ! command -v cargo-fuzz >/dev/null && [ ! -x "$HOME/.cargo/bin/cargo-fuzz" ]; then
  echo "setup: cargo install cargo-fuzz"
  cargo install -q cargo-fuzz --locked
fi
