#!/usr/bin/env bash
# The training benchmark, one command:  bash scripts/bench.sh [options]
# Builds circuitfit-bench in release mode, then times our trainer and the equivalent PyTorch script
# (benchmarks/torch_rnn_bench.py, which pip-installs the pinned CPU torch if missing) in the same run,
# one thread each. Prints Markdown tables and writes them to benchmarks/results-train.md.
# Then the time-to-converged case (`circuitfit-bench converge`): CircuitFit's default fit of the built-in
# circuit to convergence, and PyTorch Adam (lr 2e-3, clip 1) from the same start on the same objective
# until it reaches the same objective (at most 20000 steps), both timed in this run; appended to the file.
# Options go to `circuitfit-bench train`: --quick, --repeats N, --no-torch, --no-check, --no-scaling,
# --variants eager,jit,naive, --python PATH, --torch-script PATH, --help; and, for the converge case,
# --no-converge (skip it) and --converge-steps N (PyTorch's step limit, default 20000).
# About 45 s for the per-iteration tables plus the build (≈ 1 min clean) on 2 cores; the converge case adds
# the circuit (≈ 15 s, once), our fit (≈ 10 s) and PyTorch's (up to 20000 × ≈ 20 ms ≈ 7 min).
# Not part of the test suite. See benchmarks/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
train_args=() converge=1 converge_steps=20000
while [[ $# -gt 0 ]]; do
    case $1 in
        -h|--help) help=1; train_args+=("$1") ;;
        --no-converge) converge= ;;
        --converge-steps) converge_steps=$2; shift ;;
        --no-torch) converge=; train_args+=("$1") ;;
        *) train_args+=("$1") ;;
    esac
    shift
done

scratch=${CIRCUITFIT_BENCH_SCRATCH:-.build-bench}
mkdir -p "$scratch"
echo "bench: building circuitfit-bench (release, $scratch)" >&2
if ! { swift build -c release --scratch-path "$scratch" --product circuitfit-bench && { [[ -z $converge ]] || swift build -c release --scratch-path "$scratch" --product circuitfit; }; } > "$scratch/bench-build.log" 2>&1; then
    grep -E "error|warning: " "$scratch/bench-build.log" | head -40 >&2 || tail -40 "$scratch/bench-build.log" >&2
    echo "bench: build failed (full log: $scratch/bench-build.log; missing system packages? run scripts/setup.sh)" >&2
    exit 1
fi

if [[ -n ${help:-} ]]; then exec "$scratch/release/circuitfit-bench" train --help; fi
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
tmp=$(mktemp benchmarks/.results-train.XXXXXX)
trap 'rm -f "$tmp"' EXIT
"$scratch/release/circuitfit-bench" train ${train_args[@]+"${train_args[@]}"} | tee "$tmp"
if [[ -n $converge ]]; then
    if [[ ! -f $scratch/circuit/dataset.npz ]]; then
        echo "bench: generating the built-in circuit for the converge case ($scratch/circuit)" >&2
        "$scratch/release/circuitfit" generate --out "$scratch/circuit" > /dev/null
    fi
    echo >> "$tmp"
    "$scratch/release/circuitfit-bench" converge --dataset "$scratch/circuit/dataset.npz" --max-torch-steps "$converge_steps" | tee -a "$tmp"
fi
chmod 644 "$tmp"
mv "$tmp" benchmarks/results-train.md
trap - EXIT
echo "bench: wrote benchmarks/results-train.md" >&2
