#!/usr/bin/env bash
# Cost of perturbation trials in one run:  bash scripts/bench-perturbation.sh [BENCH] [--rounds N] [--case H,C,T] [--perturbed P]
# Times `circuitfit-bench iteration` on C conditions that are all control trials and on the same
# C conditions of which P are perturbation trials (5 units clamped, 5 driven from step T/4 on),
# interleaved ABAB… for several rounds, one BLAS thread, and prints the median ms per training
# iteration of each and their ratio (perturbed / control; 1.00 = a perturbation trial costs what a
# control trial costs). BENCH defaults to .build/release/circuitfit-bench. Defaults: 8 rounds of
# 200 iterations, --case 200,16,120, --perturbed 8. About 40 s on an idle machine.
set -euo pipefail
die() { echo "bench-perturbation: $*" >&2; exit 2; }
bench=.build/release/circuitfit-bench rounds=8 iterations=200 case=200,16,120 perturbed=8
while (($#)); do
    case $1 in
        -h|--help) sed -n '2,8s/^# \{0,1\}//p' "$0"; exit 0 ;;
        --rounds) rounds=$2; shift 2 ;;
        --iterations) iterations=$2; shift 2 ;;
        --case) case=$2; shift 2 ;;
        --perturbed) perturbed=$2; shift 2 ;;
        -*) die "unknown option $1" ;;
        *) bench=$1; shift ;;
    esac
done
[[ -x $bench ]] || die "$bench is not an executable (swift build -c release --product circuitfit-bench)"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
measure() {
    local out
    out=$("$bench" iteration --case "$case" --iterations "$iterations" --perturbed "$1" 2>&1) || die "failed: $out"
    sed -n 's/.*: \([0-9][0-9.]*\) ms\/iter.*/\1/p' <<<"$out" | head -1
}
measure 0 >/dev/null; measure "$perturbed" >/dev/null    # warm-up round
a=() b=()
for ((r = 0; r < rounds; r++)); do
    a+=("$(measure 0)"); b+=("$(measure "$perturbed")")
done
python3 - "$case" "$perturbed" "${a[*]}" "${b[*]}" <<'PY'
import sys, statistics as st
case, p, a, b = sys.argv[1], sys.argv[2], [float(x) for x in sys.argv[3].split()], [float(x) for x in sys.argv[4].split()]
ma, mb = st.median(a), st.median(b)
print(f"case {case}: control {ma:.3f} ms/iter, {p} of them perturbation trials {mb:.3f} ms/iter, ratio {mb/ma:.3f} (median of {len(a)} interleaved rounds)")
PY
