#!/usr/bin/env bash
# The paper's full experiment, timed, one command:  bash scripts/full-experiment.sh [OUT_DIR]
# Builds circuitfit (release), runs `circuitfit experiment --out OUT_DIR` with the defaults (10 seeds,
# M ∈ {0, 2, 5, 10, 20, 50, 100, 200}, λ ∈ {0, 1}, both arms: 160 fits, every one until it meets
# the convergence criterion of docs/method.md#convergence) on all cores, then prints the wall time,
# how many fits converged, and the claims table (also in OUT_DIR/claims.json and report.html).
# OUT_DIR (default exp-full) must not hold another experiment; rerun on the same folder to resume.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-exp-full}
bash scripts/setup.sh > /dev/null
swift build -c release --product circuitfit > .build-full-experiment.log 2>&1 \
    || { tail -30 .build-full-experiment.log >&2; echo "full-experiment: build failed" >&2; exit 1; }
echo "full-experiment: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start" >&2
start=$(date +%s.%N)
.build/release/circuitfit experiment --out "$out" --jobs "$(nproc)"
end=$(date +%s.%N)
echo "full-experiment: wall time $(python3 -c "print(f'{($end - $start) / 60:.1f} min')") (load average $(cut -d' ' -f1-3 /proc/loadavg) at end)"
python3 - "$out/results.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
fits = {r["fit_id"]: r for r in rows}
conv = sum(r["converged"] == "true" for r in fits.values())
iters = sorted(int(r["iterations_run"]) for r in fits.values())
print(f"full-experiment: {conv} of {len(fits)} fits converged ({100 * conv / max(len(fits), 1):.1f} %); "
      f"updates per fit: median {iters[len(iters) // 2]}, max {iters[-1]}")
PY
