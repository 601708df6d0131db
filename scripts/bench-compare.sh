#!/usr/bin/env bash
# Before/after in one run:  bash scripts/bench-compare.sh OLD_BENCH NEW_BENCH [options]
# Times the per-iteration case of two circuitfit-bench binaries (e.g. one built before a change and
# one after) interleaved, ABAB… for several rounds, one thread each, and prints the median ms per
# training iteration of each and their ratio. Works with today's binaries (`circuitfit-bench
# iteration`) and with those of v0.1 (`circuitfit-bench --only H,C,T,N`): it asks each one's --help.
# Options: --rounds N (timed rounds, default 10), --iterations N (timed iterations per run, default
# 400), --case H,C,T (default 200,8,120), --max-slowdown PCT (the verdict's bound, default 3).
# Each round runs 5 warm-up + N iterations per binary; one extra round first is warm-up, not counted.
# About 30 s with the defaults on an idle machine. See benchmarks/README.md.
set -euo pipefail

usage="usage: bash scripts/bench-compare.sh OLD_BENCH NEW_BENCH [--rounds N] [--iterations N] [--case H,C,T] [--max-slowdown PCT]"
die() { echo "bench-compare: $*" >&2; exit 2; }

rounds=10 iterations=400 case=200,8,120 max_slowdown=3 binaries=()
while (($#)); do
    case $1 in
        -h|--help) sed -n '2,10s/^# \{0,1\}//p' "$0"; echo "$usage"; exit 0 ;;
        --rounds|--iterations|--case|--max-slowdown)
            (($# >= 2)) || die "$1 needs a value ($usage)"
            case $1 in
                --rounds) rounds=$2 ;; --iterations) iterations=$2 ;;
                --case) case=$2 ;; --max-slowdown) max_slowdown=$2 ;;
            esac
            shift 2 ;;
        -*) die "unknown option $1 ($usage)" ;;
        *) binaries+=("$1"); shift ;;
    esac
done
((${#binaries[@]} == 2)) || die "needs two binaries, got ${#binaries[@]} ($usage)"
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "--rounds needs an integer ≥ 1, got '$rounds'"
[[ $iterations =~ ^[1-9][0-9]*$ ]] || die "--iterations needs an integer ≥ 1, got '$iterations'"
[[ $case =~ ^[1-9][0-9]*,[1-9][0-9]*,[1-9][0-9]*$ ]] || die "--case needs H,C,T (three integers ≥ 1), got '$case'"
[[ $max_slowdown =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--max-slowdown needs a number of percent ≥ 0, got '$max_slowdown'"
for b in "${binaries[@]}"; do
    [[ -f $b && -x $b ]] || die "$b is not an executable file"
done

# How to ask a binary for the per-iteration case: the `iteration` subcommand, or v0.1's --only.
declare -A flavour
for b in "${binaries[@]}"; do
    help=$("$b" --help 2>&1) || die "$b --help failed: ${help:0:200}"
    if grep -Eq '^[[:space:]]+iteration([[:space:]]|$)' <<<"$help"; then flavour[$b]=iteration
    elif grep -q -- '--only' <<<"$help"; then flavour[$b]=only
    else die "$b takes neither \`iteration\` nor --only (is it a circuitfit-bench?)"
    fi
done

export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
# ms per iteration of one run of binary $1
measure() {
    local out ms
    if [[ ${flavour[$1]} == iteration ]]; then
        out=$("$1" iteration --case "$case" --iterations "$iterations" 2>&1) || die "$1 failed: $out"
    else
        out=$("$1" --only "$case,$iterations" 2>&1) || die "$1 failed: $out"
    fi
    ms=$(sed -n 's/.*: \([0-9][0-9.]*\) ms\/iter.*/\1/p' <<<"$out" | head -1)
    [[ -n $ms ]] || die "$1 printed no 'ms/iter' line: ${out:0:200}"
    echo "$ms"
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

old=${binaries[0]} new=${binaries[1]}
IFS=, read -r H C T <<<"$case"
echo "bench-compare: H=$H, C=$C, T=$T, $iterations timed iterations per run, $rounds rounds (ABAB…), one thread"
echo "  A (old): $old  [${flavour[$old]}]"
echo "  B (new): $new  [${flavour[$new]}]"
echo "  load average (1/5/15 min) at start: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?'); $(nproc 2>/dev/null || echo '?') cores available"
started=$SECONDS
measure "$old" >/dev/null; measure "$new" >/dev/null   # warm-up round, not counted
a=() b=()
for ((r = 1; r <= rounds; r++)); do
    a+=("$(measure "$old")")
    b+=("$(measure "$new")")
    printf '  round %2d: A %8.3f   B %8.3f ms/iter   B/A %.4f\n' "$r" "${a[-1]}" "${b[-1]}" "$(awk -v x="${a[-1]}" -v y="${b[-1]}" 'BEGIN { print y / x }')"
done
ma=$(printf '%s\n' "${a[@]}" | median)
mb=$(printf '%s\n' "${b[@]}" | median)
paired=$(for ((i = 0; i < rounds; i++)); do awk -v x="${a[i]}" -v y="${b[i]}" 'BEGIN { print y / x }'; done | median)
echo "  load average at end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?'); $((SECONDS - started)) s"
awk -v ma="$ma" -v mb="$mb" -v paired="$paired" -v bound="$max_slowdown" 'BEGIN {
    ratio = mb / ma
    printf "median ms/iter: A (old) %.3f, B (new) %.3f\n", ma, mb
    printf "ratio B/A of the medians: %.4f (B is %+.1f %%); median of the per-round ratios: %.4f\n", ratio, 100 * (ratio - 1), paired
    printf "within %s %%: %s\n", bound, (ratio <= 1 + bound / 100 ? "yes" : "NO")
}'
