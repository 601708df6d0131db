#!/usr/bin/env bash
# The training benchmark, one command:  bash scripts/bench.sh [options]
# Builds circuitfit-bench in release mode, then times our trainer and the equivalent PyTorch script
# (benchmarks/torch_rnn_bench.py, which pip-installs the pinned CPU torch if missing) in the same run,
# one thread each. Prints Markdown tables and writes them to benchmarks/results-train.md.
# Options go to `circuitfit-bench train`: --quick, --repeats N, --no-torch, --no-check, --no-scaling,
# --variants eager,jit,naive, --python PATH, --torch-script PATH, --help.
# About 45 s of measuring plus the build (≈ 1 min clean) on 2 cores. Not part of the test suite. See benchmarks/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
for a in "$@"; do [[ $a == -h || $a == --help ]] && help=1; done

scratch=${CIRCUITFIT_BENCH_SCRATCH:-.build-bench}
mkdir -p "$scratch"
echo "bench: building circuitfit-bench (release, $scratch)" >&2
if ! swift build -c release --scratch-path "$scratch" --product circuitfit-bench > "$scratch/bench-build.log" 2>&1; then
    grep -E "error|warning: " "$scratch/bench-build.log" | head -40 >&2 || tail -40 "$scratch/bench-build.log" >&2
    echo "bench: build failed (full log: $scratch/bench-build.log; missing system packages? run scripts/setup.sh)" >&2
    exit 1
fi

if [[ -n ${help:-} ]]; then exec "$scratch/release/circuitfit-bench" train --help; fi
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
tmp=$(mktemp benchmarks/.results-train.XXXXXX)
trap 'rm -f "$tmp"' EXIT
"$scratch/release/circuitfit-bench" train "$@" | tee "$tmp"
chmod 644 "$tmp"
mv "$tmp" benchmarks/results-train.md
trap - EXIT
echo "bench: wrote benchmarks/results-train.md" >&2
