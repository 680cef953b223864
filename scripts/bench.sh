#!/usr/bin/env bash
# npm run bench [-- --size 10k|100k|1m] [--runs N] [--batch ROWS] [--cache-mb MIB] [--no-kuzu] [--no-worker] [--timeout S]
# Generates the LDBC-SNB-style graph, loads it into the engine through Cypher and times the
# queries (namidb-bench), loads the same graph into Kuzu 0.11.3 (bench/kuzu_bench.py, in the venv
# out/kuzu-venv) and runs the same queries, measures the Worker (bench/worker_bench.mjs; needs
# dist/ from `npm run bundle`), then writes out/bench/report.json and out/bench/report.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PWD/node_modules/.bin:$PATH"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
SIZE=100k RUNS=20 KUZU=1 WORKER=1 TIMEOUT=300 BATCH=5000 CACHE=()
while [ $# -gt 0 ]; do
  case "$1" in
    --size) SIZE=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    --batch) BATCH=$2; shift 2 ;;
    --cache-mb) CACHE=(--cache-mb "$2"); shift 2 ;;
    --no-kuzu) KUZU=0; shift ;;
    --no-worker) WORKER=0; shift ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
OUT=out/bench
mkdir -p "$OUT"
echo "=== build namidb-bench (cargo profile python: optimized, quick to build)"
cargo build -q --profile python -p namidb-bench
BIN=target/python/namidb-bench
"$BIN" --size "$SIZE" --out "$OUT" --csv-only
EXTRA=()
if [ "$KUZU" = 1 ]; then
  echo "=== Kuzu"
  KUZU_PKG="kuzu==0.11.3"
  if [ "$(cat out/kuzu-venv/.packages 2>/dev/null)" != "$KUZU_PKG" ]; then
    rm -rf out/kuzu-venv
    python3 -m venv out/kuzu-venv
    out/kuzu-venv/bin/pip install -q --disable-pip-version-check "$KUZU_PKG"
    echo "$KUZU_PKG" > out/kuzu-venv/.packages
  fi
  out/kuzu-venv/bin/python bench/kuzu_bench.py --size "$SIZE" --out "$OUT" --runs "$RUNS"
  EXTRA+=(--kuzu "$OUT/kuzu-$SIZE.json")
fi
if [ "$WORKER" = 1 ]; then
  echo "=== Worker (local workerd)"
  node bench/worker_bench.mjs "$OUT/worker.json"
  EXTRA+=(--worker "$OUT/worker.json")
fi
# The benchmark's object store is in memory (every object written stays there): cap the
# process, so a size too large for this machine aborts instead of pushing everything else
# into the OOM killer. The 1m size peaks near 2 GB (the count check after loading).
MEM_KB=${NAMIDB_BENCH_MEM_KB:-12000000}
echo "=== NamiDB engine (virtual memory capped at $MEM_KB kB; NAMIDB_BENCH_MEM_KB to change)"
ulimit -v "$MEM_KB"
"$BIN" --size "$SIZE" --out "$OUT" --runs "$RUNS" --timeout "$TIMEOUT" --batch "$BATCH" "${CACHE[@]}" "${EXTRA[@]}" 2> >(tee "$OUT/engine-$SIZE.log" >&2)
echo "bench: wrote $OUT/report.json and $OUT/report.md"
