#!/usr/bin/env bash
# The audit inside the experiment, one command:  bash benchmarks/experiment_audit_bench.sh [KEEP_DIR]
# Runs one small experiment twice on the same generated circuits, first with --no-audit and then
# with the mechanism audit on (3 seeds, M ∈ {0, 5, 20}, λ ∈ {0, 1}, both arms, H = 40, up to
# 1000 Adam steps, stopping at convergence, --jobs 2), prints both wall times and their ratio,
# the load average before and after, and the mechanism claims the audited run gives; writes
# benchmarks/results-experiment-audit.md. Circuits (N = 200, seeds 1–3) are generated once,
# before the clock starts, and copied into both folders. KEEP_DIR keeps both experiment folders
# there. Builds the release binary (or uses CIRCUITFIT_BIN). Not part of the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${CIRCUITFIT_BIN:-.build/release/circuitfit}
if [[ -z ${CIRCUITFIT_BIN:-} ]]; then
    mkdir -p .build
    swift build -c release --product circuitfit > .build/experiment-audit-bench-build.log 2>&1 \
        || { tail -30 .build/experiment-audit-bench-build.log >&2; echo "bench: build failed" >&2; exit 1; }
fi
work=${1:-$(mktemp -d /tmp/circuitfit-experiment-audit.XXXXXX)}
mkdir -p "$work"
[[ -n ${1:-} ]] || trap 'rm -rf "$work"' EXIT
export OPENBLAS_NUM_THREADS=1
plan=(--seeds 3 --record 0,5,20 --lambda 0,1 --arms plain,priors --hidden 40 --max-iterations 1000 --jobs 2)
for s in 1 2 3; do
    [[ -f "$work/circuits/seed-$s/dataset.npz" ]] || "$bin" generate --out "$work/circuits/seed-$s" --seed "$s" > /dev/null 2>&1
done
seconds() { local t0 t1; t0=$(date +%s.%N); "$@" > "$work/last.log" 2>&1 || { tail -20 "$work/last.log" >&2; exit 1; }; t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" "BEGIN { print b - a }"; }
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for mode in off on; do
    rm -rf "$work/exp-$mode"; mkdir -p "$work/exp-$mode"
    cp -r "$work/circuits" "$work/exp-$mode/circuits"
done
t_off=$(seconds "$bin" experiment --out "$work/exp-off" "${plan[@]}" --no-audit)
t_on=$(seconds "$bin" experiment --out "$work/exp-on" "${plan[@]}")
cp "$work/last.log" "$work/exp-on/claims-table.txt"
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
out=benchmarks/results-experiment-audit.md
{
    echo "# The mechanism audit inside the experiment: wall time with and without it"
    echo
    echo "\`circuitfit experiment ${plan[*]}\` on three generated circuits (N = 200, seeds 1–3, generated"
    echo "before timing), once with \`--no-audit\` and once with the audit, one after the other."
    echo
    echo "| run | wall s |"
    echo "|---|---|"
    printf "| --no-audit | %.1f |\n| audit on | %.1f |\n" "$t_off" "$t_on"
    echo
    printf "Ratio audit on / off: %.3f. Load average before: %s; after: %s.\n" "$(awk -v a="$t_on" -v b="$t_off" 'BEGIN { print a / b }')" "$load_start" "$load_end"
    echo
    echo "Mechanism claims of the audited run (claims.json):"
    echo
    python3 - "$work/exp-on/claims.json" <<'PY'
import json, sys
for c in json.load(open(sys.argv[1]))["claims"]:
    if c["id"].startswith("m"):
        print(f"- {c['id']} ({c['arm']}): {c['state']} — {c['reason']}; {c['numbers']}")
PY
} > "$out"
cat "$out"
