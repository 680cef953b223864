#!/usr/bin/env bash
# npm test: THE one check command; runs everything CI runs, in order, failing fast.
set -euo pipefail
T0=$SECONDS
step() { echo; echo "=== [$((SECONDS - T0))s] $*"; }
trap 'echo; echo "npm test: FAILED after $((SECONDS - T0))s"' ERR

step "setup"
source "$(dirname "$0")/setup.sh"   # cds to the repo root

step "cargo fmt --all --check"
cargo fmt --all --check

step "cargo clippy (native)"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo clippy (wasm32; the native crates namidb, namidb-python and namidb-bench are not built for wasm)"
cargo clippy --workspace --exclude namidb --exclude namidb-python --exclude namidb-bench --target wasm32-unknown-unknown -- -D warnings

step "cargo test -p engine"
cargo test -p engine

step "cargo test -p namidb-worker (the Worker's pure logic, natively: SHA-256, token lists)"
cargo test -p namidb-worker

step "benchmark smoke: namidb-bench --size 10k, natively (npm run bench adds Kuzu, the Worker and larger sizes)"
cargo build -q --profile python -p namidb-bench
rm -rf out/bench-smoke
target/python/namidb-bench --size 10k --runs 3 --out out/bench-smoke >/dev/null
test -s out/bench-smoke/report.json && test -s out/bench-smoke/report.md
echo "ok: $(grep -c '^| ' out/bench-smoke/report.md) table rows in out/bench-smoke/report.md"

step "Python test venv .py-venv: pandas, setuptools and maturin (the Python package and its tests), moto (a local S3 server)"
PY_PACKAGES=("pandas==3.1.1" "setuptools==84.2.1" "moto[server]==5.2.5" "maturin==1.16.0")
if [ "$(cat .py-venv/.packages 2>/dev/null)" != "${PY_PACKAGES[*]}" ]; then
  echo "setup: python3 -m venv .py-venv; pip install ${PY_PACKAGES[*]} (takes ~1-2 min)"
  rm -rf .py-venv
  python3 -m venv .py-venv
  .py-venv/bin/pip install -q --disable-pip-version-check "${PY_PACKAGES[@]}"
  echo "${PY_PACKAGES[*]}" > .py-venv/.packages
fi
echo "ok"

step "cargo test -p namidb (native: S3 store, URIs, CLI; against a local moto S3 server)"
NAMIDB_REQUIRE_S3=1 NAMIDB_MOTO_SERVER="$PWD/.py-venv/bin/moto_server" cargo test -p namidb

step "engine dependency tree has no tokio / worker / wasm-bindgen"
bad=$(cargo tree -p engine --prefix none --format '{p}' | awk '{print $1}' | sort -u | grep -xE 'tokio|worker|wasm-bindgen' || true)
if [ -n "$bad" ]; then echo "engine must stay runtime-free, but its tree has: $bad"; false; fi
echo "ok"

step "fuzz smoke: scripts/fuzz-smoke.sh (cargo +nightly fuzz, parser and engine targets, ${FUZZ_SECONDS:-25}s each)"
bash scripts/fuzz-smoke.sh

step "build the Worker once: npm run bundle (wrangler deploy --dry-run --outdir dist)"
rm -rf dist
npm run bundle
gz=0; raw=0
for f in dist/*.js dist/*.wasm; do
  raw=$((raw + $(wc -c <"$f"))); gz=$((gz + $(gzip -9 -c "$f" | wc -c)))
done
echo "bundle: $gz bytes gzipped ($raw bytes raw: $(cd dist && ls *.js *.wasm | tr '\n' ' '))"

step "JS client: tsc -p js (strict type-check, builds js/dist for the tests), tsc -p js/test (API type tests)"
rm -rf js/dist
tsc -p js
tsc -p js/test
echo "ok"

step "Python package: scripts/build-python.sh (pip builds the client and its engine extension once)"
bash scripts/build-python.sh

step "end-to-end tests: node --test 'tests/*.test.mjs' (against dist/)"
NAMIDB_PYTHON_BUILT=1 node --test --test-timeout=120000 'tests/*.test.mjs'

step "openCypher TCK"
if [ -d ../shared/opencypher-tck ]; then
  node scripts/run-tck.mjs
else
  echo "skipped: ../shared/opencypher-tck not found"
fi

trap - ERR
echo; echo "npm test: all steps passed in $((SECONDS - T0))s"
