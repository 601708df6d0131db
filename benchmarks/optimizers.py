#!/usr/bin/env python3
"""The optimiser comparison behind CircuitFit's default (docs/method.md#how-the-default-was-chosen).

Runs `circuitfit train` on the built-in circuit for every candidate optimiser and case, each for a
fixed number of updates (`--iterations`, so every candidate's whole curve is recorded), and applies
the convergence criterion of docs/method.md#convergence to each history.csv (recomputed here from
the recorded losses, with the window and tolerances given). Reports, per case and candidate: the
update, loss evaluations and seconds at which the criterion was met and the objective there; the
objective after all updates; the seconds each candidate needs to reach the objective the default
has when it meets the criterion; and the held-out scores (metrics.json, after all updates).

Runs two fits at a time (one BLAS thread each). Python is only the orchestrator: every number comes
from circuitfit's own output files. Usage (from the repository root):

    python3 benchmarks/optimizers.py [--binary .build/release/circuitfit] [--iterations 4000]
        [--seeds 1] [--jobs 2] [--scratch .build-bench/optimizers] [--quick]

Writes benchmarks/results-optimizers.md (Markdown, also printed).
"""
import argparse
import csv
import json
import math
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

CANDIDATES = {
    # name: (fit-config JSON, description)
    "adam-plateau": ({"optimizer": "adam"}, "Adam, lr 1e-2, 200-step warm-up, plateau schedule (the default)"),
    "adam-v0.1": ({"optimizer": "adam", "learningRate": 0.002, "learningRateWarmup": 0, "learningRateSchedule": "constant"},
                  "Adam, constant lr 2e-3 (v0.1's default)"),
    "adam-5e-3": ({"optimizer": "adam", "learningRate": 0.005, "learningRateWarmup": 100, "learningRateSchedule": "constant"},
                  "Adam, lr 5e-3, 100-step warm-up, constant"),
    "adam-cosine": ({"optimizer": "adam", "learningRate": 0.005, "learningRateWarmup": 100, "learningRateSchedule": "cosine"},
                    "Adam, lr 5e-3, warm-up, cosine to 1 % at the budget"),
    "lbfgs": ({"optimizer": "lbfgs"}, "L-BFGS, 20 pairs, strong-Wolfe line search"),
    "gauss-newton": ({"optimizer": "gauss-newton"}, "truncated Gauss-Newton, CG (≤ 50 products/step), LM damping"),
}
PRIORS = ["--dale", "--beta-rate", "0.01", "--beta-weights", "1e-4"]
CASES = {
    "plain M=0": ["--record", "0"],
    "plain M=2": ["--record", "2"],
    "plain M=20": ["--record", "20"],
    "plain M=200": ["--record", "200"],
    "priors M=20": ["--record", "20"] + PRIORS,
}
QUICK_CASES = ["plain M=20"]
QUICK_CANDIDATES = ["adam-plateau", "adam-v0.1", "lbfgs"]


def criterion(losses, window, tol, atol):
    """First n with L_best(n - W) - L_best(n) < tol * L_best(n) + atol (losses[n] = loss after n updates)."""
    best, b = [], math.inf
    for x in losses:
        b = min(b, x)
        best.append(b)
    for n in range(window, len(best)):
        if best[n - window] - best[n] < tol * best[n] + atol:
            return n
    return None


def run_fit(binary, dataset, out, case_args, config, iterations, seed, log):
    os.makedirs(os.path.dirname(out), exist_ok=True)
    cfg = out + ".json"
    with open(cfg, "w") as f:
        json.dump(config, f)
    if os.path.exists(os.path.join(out, "metrics.json")):
        return
    cmd = [binary, "train", dataset, "--out", out, "--seed", str(seed), "--fit-config", cfg,
           "--iterations", str(iterations)] + case_args
    t0 = time.time()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
    log(f"  {os.path.basename(out)}: exit {r.returncode} after {time.time() - t0:.0f} s")
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {r.stderr.strip().splitlines()[-1:]}")


def analyse(out, window, tol, atol):
    rows = list(csv.DictReader(open(os.path.join(out, "history.csv"))))
    record = json.load(open(os.path.join(out, "config.json")))
    metrics = json.load(open(os.path.join(out, "metrics.json")))
    losses = [float(r["loss_total"]) for r in rows] + [record["final_loss_total"]]
    seconds = [float(r["seconds"]) for r in rows] + [record["seconds"]]
    evals = [int(r["evaluations"]) for r in rows] + [record["evaluations"]]
    n = criterion(losses, window, tol, atol)
    return dict(losses=losses, seconds=seconds, evals=evals, n=n, metrics=metrics,
                best=min(losses), conv_loss=(min(losses[: n + 1]) if n is not None else None))


def seconds_to(a, target):
    b = math.inf
    for L, s in zip(a["losses"], a["seconds"]):
        b = min(b, L)
        if b <= target:
            return s
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default=".build/release/circuitfit")
    ap.add_argument("--iterations", type=int, default=4000)
    ap.add_argument("--seeds", default="1")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--scratch", default=".build-bench/optimizers")
    ap.add_argument("--window", type=int, default=200)
    ap.add_argument("--tolerance", type=float, default=1e-2)
    ap.add_argument("--absolute-tolerance", type=float, default=1e-5)
    ap.add_argument("--quick", action="store_true", help="M = 20 only, three candidates, 1500 updates")
    ap.add_argument("--output", default="benchmarks/results-optimizers.md")
    args = ap.parse_args()
    if args.quick:
        args.iterations = min(args.iterations, 1500)
    cases = QUICK_CASES if args.quick else list(CASES)
    candidates = QUICK_CANDIDATES if args.quick else list(CANDIDATES)
    seeds = [int(s) for s in args.seeds.split(",")]
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    dataset = os.path.join(args.scratch, "circuit", "dataset.npz")
    if not os.path.exists(dataset):
        log("optimizers: generating the built-in circuit")
        subprocess.run([args.binary, "generate", "--out", os.path.dirname(dataset)], check=True, stdout=subprocess.DEVNULL)
    start = time.time()
    load0 = open("/proc/loadavg").read().split()[:3]
    jobs = []
    for seed in seeds:
        for case in cases:
            for cand in candidates:
                budget = args.iterations if cand != "gauss-newton" else max(20, args.iterations // 40)
                out = os.path.join(args.scratch, f"s{seed}", case.replace(" ", "_").replace("=", ""), cand)
                jobs.append((out, CASES[case], CANDIDATES[cand][0], budget, seed))
    log(f"optimizers: {len(jobs)} fits, {args.jobs} at a time")
    with ThreadPoolExecutor(args.jobs) as pool:
        list(pool.map(lambda j: run_fit(args.binary, dataset, j[0], j[1], j[2], j[3], j[4], log), jobs))
    load1 = open("/proc/loadavg").read().split()[:3]

    lines = ["# Optimiser comparison (built-in circuit)", "",
             f"Generated by `python3 benchmarks/optimizers.py` in {time.time() - start:.0f} s; load average "
             f"{' '.join(load0)} at start, {' '.join(load1)} at end ({args.jobs} fits at a time, one BLAS thread each: "
             "seconds are comparable within a case, not across machines). Each fit ran a fixed number of updates "
             f"({args.iterations}; Gauss-Newton {max(20, args.iterations // 40)} steps of up to 52 products each) on seed(s) {args.seeds}; "
             f"the convergence criterion (W = {args.window}, τ = {args.tolerance:g}, τ_abs = {args.absolute_tolerance:g}; "
             "docs/method.md#convergence) is applied to each history. Held-out scores are after all updates.", ""]
    for seed in seeds:
        for case in cases:
            res = {}
            for cand in candidates:
                out = os.path.join(args.scratch, f"s{seed}", case.replace(" ", "_").replace("=", ""), cand)
                res[cand] = analyse(out, args.window, args.tolerance, args.absolute_tolerance)
            ref = res.get("adam-plateau")
            target = ref["conv_loss"] if ref and ref["conv_loss"] is not None else None
            lines += [f"## {case}, seed {seed}", "",
                      "| candidate | criterion met at update | loss evaluations | seconds | objective there | objective at the end | "
                      f"seconds to {target:.5f} (default's objective at its criterion) | held-out output NMSE | held-out-neuron R² | CCA |"
                      if target else "| candidate | criterion met at update | loss evaluations | seconds | objective there | objective at the end | seconds to the default's objective | held-out output NMSE | held-out-neuron R² | CCA |",
                      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
            for cand in candidates:
                a = res[cand]
                n = a["n"]
                met = (f"{n}", f"{a['evals'][n]}", f"{a['seconds'][n]:.1f}", f"{a['conv_loss']:.5f}") if n is not None else ("not met", "—", "—", "—")
                st = seconds_to(a, target) if target else None
                m = a["metrics"]
                f = lambda x: "—" if x is None else f"{x:.3f}"  # noqa: E731
                lines.append(f"| {cand} | {met[0]} | {met[1]} | {met[2]} | {met[3]} | {a['losses'][-1]:.5f} | "
                             f"{'not reached' if target and st is None else (f'{st:.1f}' if st is not None else '—')} | "
                             f"{f(m.get('output_nmse_heldout'))} | {f(m.get('heldout_neuron_r2'))} | {f(m.get('cca_mean'))} |")
            lines.append("")
    lines += ["Candidates:", ""] + [f"- `{c}`: {CANDIDATES[c][1]}; fit config `{json.dumps(CANDIDATES[c][0])}`" for c in candidates]
    text = "\n".join(lines) + "\n"
    tmp = args.output + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, args.output)
    print(text)
    log(f"optimizers: wrote {args.output}")


if __name__ == "__main__":
    sys.exit(main())
