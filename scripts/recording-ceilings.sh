#!/usr/bin/env bash
# Noise ceilings and input encodings on a recording of the built-in circuit, one command:
#
#   bash scripts/recording-ceilings.sh [OUT_DIR] [ITERATIONS] [SEEDS]
#
# Makes the default circuit (seed 1), writes 20 trials per condition of Poisson spikes of 30 of
# its neurons as NWB (scripts/circuit_to_nwb.py, needs pynwb), imports it with 5 ms bins and the
# default automatic smoothing twice — inputs one-hot (the default) and the angle encoding
# (cos θ, sin θ) — and once unsmoothed (angle encoding), then fits M = 20 with λ = 0 and λ = 1
# for every fit seed (default "1"; ITERATIONS default 2000) and prints, per fit: held-out-neuron
# R² (10 held-out recorded neurons, held-out conditions), its noise ceiling and R² / ceiling;
# the recorded units' R² beside their ceiling; the held-out-condition output NMSE; and the
# held-out-neuron R² against the full circuit (evaluate --reference). Also OUT_DIR/results.json.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-recording-ceilings}
ITERATIONS=${2:-2000}
SEEDS=${3:-1}
BIN=.build/release/circuitfit
[[ -x "$BIN" ]] || swift build -c release --product circuitfit
mkdir -p "$OUT"
"$BIN" generate --out "$OUT/circuit" --seed 1 > /dev/null
python3 scripts/circuit_to_nwb.py "$OUT/circuit" --out "$OUT/session.nwb" --neurons 30 --trials 20 --seed 1 > /dev/null
common=(--condition-column condition --align-to go_cue_time --window-ms -100,500 --bin-ms 5 --behavior EMG
        --angle-column reach_angle --angle-unit rad --held-out 8,9,10,11,12,13,14,15)
"$BIN" import "$OUT/session.nwb" --out "$OUT/onehot.npz" "${common[@]}" --inputs one-hot > "$OUT/import-onehot.txt" 2>&1
"$BIN" import "$OUT/session.nwb" --out "$OUT/angle.npz" "${common[@]}" --inputs angle > "$OUT/import-angle.txt"
"$BIN" import "$OUT/session.nwb" --out "$OUT/angle-raw.npz" "${common[@]}" --inputs angle --smooth-ms 0 > "$OUT/import-angle-raw.txt"
grep -h "smoothing\|reliability" "$OUT"/import-*.txt
for data in angle onehot angle-raw; do
  for lambda in 0 1; do
    for seed in $SEEDS; do
      fit="$OUT/fit-$data-lambda$lambda-seed$seed"
      "$BIN" train "$OUT/$data.npz" --out "$fit" --record 20 --lambda "$lambda" --seed "$seed" --iterations "$ITERATIONS" > "$fit.log" 2>&1
      "$BIN" evaluate "$fit" "$OUT/$data.npz" --json > "$fit.json"
      "$BIN" evaluate "$fit" "$OUT/$data.npz" --reference "$OUT/circuit/dataset.npz" --json > "$fit.reference.json"
    done
  done
done
python3 - "$OUT" <<'PY'
import glob, json, os, sys
out = sys.argv[1]
rows = []
for path in sorted(glob.glob(os.path.join(out, "fit-*-seed*.json"))):
    if path.endswith(".reference.json"):
        continue
    m = json.load(open(path)); r = json.load(open(path[:-5] + ".reference.json"))
    c = m.get("noise_ceiling") or {}
    name = os.path.basename(path)[4:-5]
    rows.append(dict(fit=name, heldout_r2=m["heldout_neuron_r2"], ceiling=c.get("heldout_neuron_r2_ceiling"),
                     normalized=c.get("heldout_neuron_r2_normalized"), recorded_r2=c.get("recorded_r2_train"),
                     recorded_ceiling=c.get("recorded_r2_ceiling_train"), nmse_heldout=m["output_nmse_heldout"],
                     untrained_nmse_heldout=(m.get("untrained") or {}).get("output_nmse_heldout"),
                     untrained_heldout_r2=(m.get("untrained") or {}).get("heldout_neuron_r2"),
                     circuit_heldout_r2=r["heldout_neuron_r2"], unseen_inputs=m.get("unseen_input_channels")))
json.dump(rows, open(os.path.join(out, "results.json"), "w"), indent=2)
f = lambda x: "—" if x is None else (f"{x:.3f}" if isinstance(x, float) else str(x))
print("| fit | held-out-neuron R² | ceiling | R²/ceiling | untrained R² | recorded R² (ceiling) | held-out output NMSE (untrained) | R² vs full circuit |")
print("|---|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r['fit']} | {f(r['heldout_r2'])} | {f(r['ceiling'])} | {f(r['normalized'])} | {f(r['untrained_heldout_r2'])} | "
          f"{f(r['recorded_r2'])} ({f(r['recorded_ceiling'])}) | {f(r['nmse_heldout'])} ({f(r['untrained_nmse_heldout'])}) | {f(r['circuit_heldout_r2'])} |")
PY
