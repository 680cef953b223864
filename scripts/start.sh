#!/usr/bin/env bash
# npm start: set up (first run ~10 min), build, and serve on http://127.0.0.1:8787 with local R2 kept in .data/.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
# wrangler dev runs the [build] command (scripts/build-worker.sh) and rebuilds on edits in src/ and engine/src/.
exec wrangler dev --ip 127.0.0.1 --port 8787 --show-interactive-dev-session=false --persist-to .data "$@"
