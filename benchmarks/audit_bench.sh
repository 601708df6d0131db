#!/usr/bin/env bash
# The audit benchmark, one command:  bash benchmarks/audit_bench.sh [ROUNDS]
# Times the mechanism audit of a default fit against that fit's own training, interleaved in one
# run (train, audit, train, audit, ... ROUNDS times, default 2) on the built-in circuit (seed 1),
# one BLAS thread each, and prints the ratio audit/training per round and its median. Target: the
# audit takes ≤ 10 % of the training time. Writes benchmarks/results-audit.md (via a temporary
# file). Builds the release binary (or uses CIRCUITFIT_BIN). Not part of the test suite. See benchmarks/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
# CIRCUITFIT_BIN=path uses an already built binary instead of building one
bin=${CIRCUITFIT_BIN:-.build/release/circuitfit}
if [[ -z ${CIRCUITFIT_BIN:-} ]]; then
    mkdir -p .build
    swift build -c release --product circuitfit > .build/audit-bench-build.log 2>&1 \
        || { tail -30 .build/audit-bench-build.log >&2; echo "audit bench: build failed" >&2; exit 1; }
fi
work=$(mktemp -d /tmp/circuitfit-audit-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export OPENBLAS_NUM_THREADS=1
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
"$bin" generate --out "$work/circuit" --seed 1 > /dev/null 2>&1
seconds() { local t0 t1; t0=$(date +%s.%N); "$@" > /dev/null 2>&1; t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" "BEGIN { print b - a }"; }
out=$(mktemp benchmarks/.results-audit.XXXXXX)
{
    echo "# Audit benchmark: the mechanism audit of a default fit vs that fit's training"
    echo
    echo "Default fit: \`train dataset.npz --record 20 --lambda 1 --seed S\` (H = 200, up to 5000 Adam steps"
    echo "with early stopping) on \`generate --seed 1\`; then \`audit FIT CIRCUIT\`; interleaved, one BLAS thread."
    echo "Load average at start: $load_start."
    echo
    echo "| round | training s | audit s | audit / training |"
    echo "|---|---|---|---|"
} > "$out"
ratios=()
for r in $(seq 1 "$rounds"); do
    fit="$work/fit-$r"
    t=$(seconds "$bin" train "$work/circuit/dataset.npz" --out "$fit" --record 20 --lambda 1 --seed "$r")
    a=$(seconds "$bin" audit "$fit" "$work/circuit")
    ratio=$(awk -v a="$a" -v t="$t" "BEGIN { print a / t }")
    ratios+=("$ratio")
    printf "| %d | %.1f | %.2f | %.3f |\n" "$r" "$t" "$a" "$ratio" >> "$out"
done
median=$(printf "%s\n" "${ratios[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}')
{
    echo
    printf "Median audit / training: %.3f (target ≤ 0.10). Load average at end: %s.\n" "$median" "$(cut -d' ' -f1-3 /proc/loadavg)"
} >> "$out"
chmod 644 "$out"
mv "$out" benchmarks/results-audit.md
cat benchmarks/results-audit.md
