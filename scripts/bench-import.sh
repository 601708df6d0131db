#!/usr/bin/env bash
# What reading NWB files in a child process costs `import`, one command:
#     bash scripts/bench-import.sh [REPEATS]
# Builds circuitfit (release), makes two NWB files with pynwb (the reach.nwb test fixture, 3 units,
# and a session of 60 circuit neurons × 16 conditions × 20 trials from scripts/circuit_to_nwb.py),
# then imports each REPEATS times (default 15) with the HDF5 read in a child process (what
# `import` does) and in-process (`--hdf5-in-process`, the hidden flag kept for this measurement),
# interleaved, and prints the median wall time of each and the difference. Not part of the test
# suite. Prints a Markdown table and writes it to benchmarks/results-import.md.
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-15}
# CIRCUITFIT_BIN: an already built circuitfit to measure instead of building one
bin=${CIRCUITFIT_BIN:-}
if [[ -z $bin ]]; then
    mkdir -p .build
    swift build -c release --product circuitfit > .build/bench-import-build.log 2>&1 \
        || { tail -30 .build/bench-import-build.log >&2; exit 1; }
    bin=.build/release/circuitfit
fi
work=$(mktemp -d /tmp/cf-bench-import.XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 -c "import pynwb" 2>/dev/null || python3 -m pip install -q --disable-pip-version-check pynwb >/dev/null
export OPENBLAS_NUM_THREADS=1
"$bin" generate --out "$work/circuit" --neurons 60 --seed 2 > /dev/null 2>&1
python3 scripts/circuit_to_nwb.py "$work/circuit" --out "$work/session.nwb" --neurons 60 --trials 20 --seed 3 > /dev/null

# name | file | import options
cases=(
  "reach.nwb (3 units, 80 trials)|Tests/CircuitFitTests/Fixtures/import/reach.nwb|--condition-column target --window-ms -400,600 --bin-ms 20 --behavior EMG"
  "session.nwb (60 units, 320 trials)|$work/session.nwb|--condition-column condition --window-ms -100,500 --bin-ms 5 --behavior EMG"
)
now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
out=$(mktemp benchmarks/.results-import.XXXXXX)
{
  echo "# import: HDF5 read in a child process vs in-process"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $repeats interleaved runs each (median wall time)"
  echo
  echo "| file | size | child process | in-process | difference |"
  echo "|---|---:|---:|---:|---:|"
} > "$out"
for entry in "${cases[@]}"; do
  IFS='|' read -r name file options <<< "$entry"
  : > "$work/child.txt"; : > "$work/inproc.txt"
  for ((i = 0; i < repeats; i++)); do
    for mode in child inproc; do
      extra=(); [[ $mode == inproc ]] && extra=(--hdf5-in-process)
      t0=$(now)
      # shellcheck disable=SC2086
      "$bin" import "$file" --out "$work/out.npz" $options "${extra[@]}" > /dev/null 2>&1
      t1=$(now)
      echo "$t1 - $t0" | bc -l >> "$work/$mode.txt"
    done
  done
  c=$(median < "$work/child.txt"); p=$(median < "$work/inproc.txt")
  size=$(du -h "$file" | cut -f1)
  printf '| %s | %s | %.0f ms | %.0f ms | +%.0f ms (%.2f×) |\n' "$name" "$size" \
      "$(echo "$c * 1000" | bc -l)" "$(echo "$p * 1000" | bc -l)" "$(echo "($c - $p) * 1000" | bc -l)" "$(echo "$c / $p" | bc -l)" >> "$out"
done
chmod 644 "$out"
mv "$out" benchmarks/results-import.md
cat benchmarks/results-import.md
