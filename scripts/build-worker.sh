#!/usr/bin/env bash
# Offline-safe workers-rs build (wrangler's [build] command): never lets worker-build download from GitHub.
set -euo pipefail
source "$(dirname "$0")/setup.sh"   # cds to the repo root; installs missing tools; sets PATH

export WASM_BINDGEN_BIN="$(command -v wasm-bindgen)"      # else: download from github.com -> fails offline
export WASM_OPT_BIN="$PWD/node_modules/.bin/wasm-opt"     # npm binaryen@132 == worker-build's pinned 132
export ESBUILD_BIN="$PWD/node_modules/.bin/esbuild"       # wrangler's esbuild (same 0.28.2), no download
exec worker-build --release "$@"
