#!/usr/bin/env bash
# The README's first command: set up (scripts/setup.sh) and run the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .build/release/circuitfit demo "$@"
