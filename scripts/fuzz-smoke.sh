#!/usr/bin/env bash
# Fuzz smoke test: runs each cargo-fuzz target in fuzz/ for a bounded time and fails on any crash.
#   FUZZ_SECONDS=N   seconds per target (default 25)
#   FUZZ_TARGETS="a b"  targets to run (default: parser engine)
# Needs the nightly toolchain (libFuzzer's instrumentation uses -Z flags) and cargo-fuzz
# (installed by scripts/setup.sh). Without nightly it prints why and skips, rather than failing.
# Builds into fuzz/target (its own workspace), so the main target/ is never invalidated.
# Each run starts from the committed seed corpus fuzz/seeds/<target> in a fresh scratch corpus
# (fuzz/target/smoke-corpus/<target>), so its time stays bounded however long corpora grow; longer
# campaigns use `cargo +nightly fuzz run <target> fuzz/corpus/<target> fuzz/seeds/<target>` (corpus
# gitignored). A crash is saved under fuzz/artifacts/<target>/ and reproduced with
#   cargo +nightly fuzz run <target> fuzz/artifacts/<target>/<file>
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
SECONDS_PER_TARGET=${FUZZ_SECONDS:-25}
TARGETS=${FUZZ_TARGETS:-parser engine}

toolchains=$(rustup toolchain list 2>/dev/null || true)
if ! grep -q '^nightly' <<<"$toolchains"; then
  echo "fuzz smoke SKIPPED: no nightly Rust toolchain installed (cargo fuzz needs it; 'rustup toolchain install nightly')"
  exit 0
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz smoke: cargo-fuzz is not installed; run scripts/setup.sh" >&2
  exit 1
fi

t0=$SECONDS
# Default cargo-fuzz profile: optimized, with debug assertions and overflow checks on (they find bugs).
mkdir -p fuzz/target
if ! cargo +nightly fuzz build >fuzz/target/smoke-build.log 2>&1; then
  tail -40 fuzz/target/smoke-build.log
  echo "fuzz smoke: build failed (fuzz/target/smoke-build.log)" >&2
  exit 1
fi
echo "fuzz build: $((SECONDS - t0))s"

status=0
for target in $TARGETS; do
  corpus="fuzz/target/smoke-corpus/$target"
  rm -rf "$corpus" && mkdir -p "$corpus"
  log="fuzz/target/smoke-$target.log"
  t1=$SECONDS
  if cargo +nightly fuzz run "$target" "$corpus" "fuzz/seeds/$target" -- \
      -max_total_time="$SECONDS_PER_TARGET" -timeout=20 -print_final_stats=1 >"$log" 2>&1; then
    runs=$(awk '/^stat::number_of_executed_units/{print $NF}' "$log")
    echo "fuzz $target: ok, ${runs:-?} executions in $((SECONDS - t1))s ($(grep -E '^Done [0-9]+ runs' "$log" || echo 'no Done line'))"
  else
    status=1
    echo "fuzz $target: FAILED after $((SECONDS - t1))s; the end of $log:"
    grep -A6 'panicked at' "$log" | head -20 || true
    grep -vE '^#[0-9]+|NEW_FUNC|^"' "$log" | grep -vE '^ +#[0-9]+ 0x' | tail -30
    ls fuzz/artifacts/"$target"/ 2>/dev/null | sed "s|^|  artifact: fuzz/artifacts/$target/|" || true
  fi
done
echo "fuzz smoke: $((SECONDS - t0))s in all"
exit $status
