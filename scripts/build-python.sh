#!/usr/bin/env bash
# Builds the Python package (python/: the client plus the namidb._native engine extension, via
# maturin) into out/python-namidb, where tests/python.test.mjs imports it from. npm test runs
# this once before the end-to-end tests; the build of the extension takes a few minutes cold.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf out/python-namidb
PATH="$PWD/.py-venv/bin:$PATH" .py-venv/bin/python -m pip install -q --disable-pip-version-check \
  --no-build-isolation --no-deps --target out/python-namidb ./python
ls out/python-namidb/namidb/_native*.so >/dev/null
echo "python package: out/python-namidb ($(du -sh out/python-namidb | cut -f1))"
