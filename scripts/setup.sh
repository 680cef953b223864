#!/usr/bin/env bash
# Idempotent setup: installs only what is missing, so later runs install nothing.
# Sourced by start.sh, test.sh and build-worker.sh (it exports PATH and env vars); can also be run directly.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PWD/node_modules/.bin:$PATH"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false

WORKER_BUILD_VERSION=0.8.7
# wasm-bindgen CLI must equal the wasm-bindgen crate version in Cargo.lock exactly.
BINDGEN_VERSION=$(awk '$0=="name = \"wasm-bindgen\""{getline; gsub(/"/,"",$3); print $3; exit}' Cargo.lock)
[ -n "$BINDGEN_VERSION" ] || { echo "setup: no wasm-bindgen in Cargo.lock" >&2; exit 1; }

# (capture first: `rustup ... | grep -q` can fail under pipefail when grep exits early)
targets=$(rustup target list --installed)
if ! grep -qx wasm32-unknown-unknown <<<"$targets"; then
  echo "setup: rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
components=$(rustup component list --installed)
for comp in rustfmt clippy; do
  if ! grep -q "^$comp" <<<"$components"; then
    echo "setup: rustup component add $comp"
    rustup component add "$comp"
  fi
done
if [ "$(worker-build --version 2>/dev/null)" != "$WORKER_BUILD_VERSION" ]; then
  echo "setup: cargo install worker-build $WORKER_BUILD_VERSION (takes ~5 min)"
  cargo install -q worker-build --version "$WORKER_BUILD_VERSION" --locked --force
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$BINDGEN_VERSION" ]; then
  echo "setup: cargo install wasm-bindgen-cli $BINDGEN_VERSION (takes ~3 min)"
  # no --locked: its lockfile pins webpki-roots 1.0.11, which this registry doesn't serve (note P4)
  cargo install -q wasm-bindgen-cli --version "$BINDGEN_VERSION" --force
fi
# cargo-fuzz for scripts/fuzz-smoke.sh (its fuzz builds need the nightly toolchain, which the image has).
CARGO_FUZZ_VERSION=0.13.1
if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
  echo "setup: cargo install cargo-fuzz $CARGO_FUZZ_VERSION (takes ~30 s)"
  cargo install -q cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --force
fi
# never `npm ci` (note P7: the lockfile lacks other platforms' optional workerd entries)
if [ ! -e node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
   || [ package.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm install"
  npm install --no-audit --no-fund
  touch node_modules/.package-lock.json
fi
# Test-only tools (the Python test venv) are installed by scripts/test.sh, not here: `npm start`
# does not need them.
