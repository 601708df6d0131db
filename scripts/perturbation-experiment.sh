#!/usr/bin/env bash
# The perturbation experiment in one command:
#   bash scripts/perturbation-experiment.sh OUT [--seeds 5] [--m 20,50] [--sets 0,1,4,16] [--iterations 2000] [--jobs 2] [--bin PATH]
# Per seed: one circuit (generate) with 20 perturbation sets of 5 E neurons silenced over the
# movement epoch, all drawn from a pool of 20 E neurons (the "tagged" neurons a lab can perturb;
# fits record the whole pool, docs/method.md#perturbation-trials), the last 4 sets held out. Per
# seed, M and number of training sets P: one fit (train --perturbation-sets P, λ = 1, at most
# --iterations steps), scored by `evaluate --json --no-audit` on the held-out sets (OUT/fits/*.evaluation.json). Prints, per
# (M, P), the median over seeds of the held-out sets' mean output R², other-neuron R², and the
# paired gain over P = 0 (how many seeds improve). Results: OUT/results.csv, OUT/summary.txt.
# Cost: a fit's time grows with its conditions, (1 + P)× a control fit's (measured: 1000 steps
# of H = 200, 8 fit conditions took 21 s with P = 0 and 39 s with P = 1 on this 2-core machine
# under load 5). Defaults (5 seeds × M ∈ {20, 50} × P ∈ {0, 1, 4, 16}, ≤ 2000 steps): about
# 10 × (1 + 2 + 5 + 17) control-fit units × 2000 steps × ~3 ms (idle, bench case 200,8,120)
# ≈ 25 min of one core, ≈ 13 min on 2 idle cores (--jobs 2); at the 21 ms/step measured here
# under load, ≈ 1.5 h on 2 cores. A fit stops earlier once converged.
set -euo pipefail
die() { echo "perturbation-experiment: $*" >&2; exit 2; }
(($# >= 1)) || die "usage: bash scripts/perturbation-experiment.sh OUT [--seeds N] [--m LIST] [--sets LIST] [--iterations N] [--jobs N] [--bin PATH]"
out=$1; shift
seeds=5 ms=20,50 sets=0,1,4,16 iterations=2000 jobs=2 bin=.build/release/circuitfit neurons=200
while (($#)); do
    case $1 in
        --seeds) seeds=$2 ;; --m) ms=$2 ;; --sets) sets=$2 ;; --iterations) iterations=$2 ;;
        --jobs) jobs=$2 ;; --bin) bin=$2 ;; --neurons) neurons=$2 ;;
        *) die "unknown option $1" ;;
    esac
    shift 2
done
[[ -x $bin ]] || die "$bin is not an executable (swift build -c release)"
maxsets=$(tr , '\n' <<<"$sets" | sort -n | tail -1)
total=$((maxsets + 4))
mkdir -p "$out"
export OPENBLAS_NUM_THREADS=1
for ((s = 1; s <= seeds; s++)); do
    c=$out/circuits/seed-$s
    [[ -f $c/dataset.npz ]] || "$bin" generate --out "$c" --seed "$s" --neurons "$neurons" \
        --perturbation-sets "$total" --perturbation-size 5 --perturbation-pool 20 --perturbation-type E \
        --perturbation-kind silence --perturbation-window-ms 0,500 --held-out-sets 4 >/dev/null
done
mkdir -p "$out/fits"
jobs_file=$out/jobs.txt
: >"$jobs_file"
for ((s = 1; s <= seeds; s++)); do
    for m in ${ms//,/ }; do
        for p in ${sets//,/ }; do
            echo "$s $m $p" >>"$jobs_file"
        done
    done
done
run_one() {
    local s=$1 m=$2 p=$3
    local f=$out/fits/seed-$s-m-$m-sets-$p
    [[ -f $f.evaluation.json ]] && return 0
    "$bin" train "$out/circuits/seed-$s/dataset.npz" --out "$f" --record "$m" --lambda 1 --seed "$s" \
        --perturbation-sets "$p" --max-iterations "$iterations" >"$f.log" 2>&1
    "$bin" evaluate "$f" "$out/circuits/seed-$s/dataset.npz" --json --no-audit >"$f.evaluation.tmp" && mv "$f.evaluation.tmp" "$f.evaluation.json"
}
export -f run_one; export out bin iterations
start=$(date +%s)
xargs -P "$jobs" -L 1 bash -c 'run_one $0 $1 $2' <"$jobs_file"
echo "fits done in $(( $(date +%s) - start )) s" | tee "$out/time.txt"
python3 - "$out" <<'PY'
import json, sys, os, statistics as st, collections
out = sys.argv[1]
rows = []
for name in sorted(os.listdir(out + '/fits')):
    if not name.endswith('.evaluation.json'): continue
    path = f'{out}/fits/{name}'
    _, s, _, m, _, p = name[:-len('.evaluation.json')].split('-')
    preds = [x for x in json.load(open(path)).get('perturbation_predictions', []) if x['held_out']]
    if not preds: continue
    rows.append(dict(seed=int(s), m=int(m), sets=int(p),
                     output_r2=st.mean(x['output_r2'] for x in preds),
                     neuron_r2=st.mean(x['neuron_r2'] for x in preds if x['neuron_r2'] is not None),
                     size_ratio=st.mean(x['output_size_ratio'] for x in preds)))
with open(out + '/results.csv', 'w') as f:
    f.write('seed,m,sets,heldout_output_r2,heldout_neuron_r2,heldout_size_ratio\n')
    for r in rows: f.write(f"{r['seed']},{r['m']},{r['sets']},{r['output_r2']:.6f},{r['neuron_r2']:.6f},{r['size_ratio']:.6f}\n")
by = collections.defaultdict(dict)
for r in rows: by[(r['m'], r['sets'])][r['seed']] = r
lines = ['M  sets  seeds  median held-out output R²  median other-neuron R²  median size ratio  paired gain over sets=0 (improved/seeds)']
for (m, p) in sorted(by):
    g = by[(m, p)]; base = by.get((m, 0), {})
    gains = [g[s]['output_r2'] - base[s]['output_r2'] for s in g if s in base]
    better = sum(x > 0 for x in gains)
    lines.append(f"{m:<3}{p:<6}{len(g):<7}{st.median(x['output_r2'] for x in g.values()):<27.3f}{st.median(x['neuron_r2'] for x in g.values()):<24.3f}{st.median(x['size_ratio'] for x in g.values()):<19.3f}"
                 + (f"{st.median(gains):+.3f} ({better}/{len(gains)})" if p and gains else "—"))
open(out + '/summary.txt', 'w').write('\n'.join(lines) + '\n')
print('\n'.join(lines))
PY
