#!/usr/bin/env python3
"""Writes an NWB file of a simulated experiment on a circuit made by `circuitfit generate`.

    python3 -m pip install pynwb numpy
    python3 scripts/circuit_to_nwb.py CIRCUIT_DIR --out session.nwb [--neurons 30] [--trials 20] [--seed 1]

CIRCUIT_DIR holds circuit.npz and dataset.npz from `circuitfit generate`. Python is only the data
maker here (the NWB file is written by pynwb, the reference writer); circuitfit never runs it.

What the file holds (times in s):

- units: Poisson spike trains of `--neurons` circuit neurons drawn without replacement with
  `--seed` and sorted ascending. The unit ids ARE the circuit indices (so `circuitfit import`'s
  `neuron_ids` are circuit indices), repeated in a units column `circuit_index`. Rates are
  r0 + rates[c, t, n] Hz: `rates` is the dataset's [C, T, N] (Hz relative to baseline), r0 the
  baseline (`--baseline-hz`, default the circuit's `r0_hz`, 20 Hz), clipped at 0 (a no-op for a
  generated circuit, whose rates stay above -r0 by construction of its nonlinearity; the number of
  clipped bins is reported). Within a trial's window, go - prep ... go + movement (the dataset's
  grid: bin t covers go + (t - go_index)·dt ... + dt), the rate is piecewise constant per bin; each
  bin's count is Poisson(rate·dt) and its spikes uniform in the bin. Everywhere else (before the
  window, after it, between trials) neurons fire at the baseline r0.
- trials: `--trials` trials of every condition (all C, training and held-out angles) in a seeded
  random order, columns start_time, stop_time, go_cue_time, `condition` (the dataset's condition
  index 0..C-1), `reach_angle` (rad), and `target_cos`, `target_sin` (cos, sin of the angle: the
  values of `generate`'s first two input channels, so `--input-column target_cos --input-column
  target_sin` rebuilds its inputs). Go cues lie on the 5 ms grid (multiples of dt); each trial starts
  200-300 ms before its go cue and stops 100 ms after the window ends; 200-400 ms between trials.
- processing/behavior/EMG: the dataset's `targets` [C, T, K] as a TimeSeries sampled regularly at
  1/dt (200 Hz for 5 ms bins) from dt/2: the samples that fall in a trial's window are exactly at its
  bin centres and hold that condition's targets; elsewhere the EMG is 0 (rest).

A side JSON (`--json`, default OUT with `.json` instead of `.nwb`) records the circuit indices,
the baseline, the seed, the counts and the grid.
"""
import argparse
import datetime
import json
import os
import sys

import numpy as np


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("circuit", help="folder with circuit.npz and dataset.npz from `circuitfit generate`")
    p.add_argument("--out", required=True, help="NWB file to write")
    p.add_argument("--json", help="side JSON with the neurons used (default: OUT with .json)")
    p.add_argument("--neurons", type=int, default=30, help="number of recorded neurons (default 30)")
    p.add_argument("--trials", type=int, default=20, help="trials per condition (default 20)")
    p.add_argument("--seed", type=int, default=1, help="seed of the neuron choice, trial order and spikes")
    p.add_argument("--baseline-hz", type=float, help="baseline rate r0 added to the rates (default: circuit's r0_hz)")
    args = p.parse_args()

    from pynwb import NWBHDF5IO, NWBFile, TimeSeries

    circuit = np.load(os.path.join(args.circuit, "circuit.npz"))
    data = np.load(os.path.join(args.circuit, "dataset.npz"))
    if "rates" not in data:
        sys.exit("circuit_to_nwb: dataset.npz has no `rates` (is it an imported dataset?)")
    rates = data["rates"]                      # [C, T, N], Hz relative to baseline
    targets = data["targets"]                  # [C, T, K]
    angles = data["angles"]                    # [C]
    dt = float(data["dt_ms"]) / 1000           # s
    go_index = int(data["go_index"])
    C, T, N = rates.shape
    K = targets.shape[2]
    r0 = float(args.baseline_hz if args.baseline_hz is not None else circuit["r0_hz"])
    if not 1 <= args.neurons <= N:
        sys.exit(f"circuit_to_nwb: --neurons must be in 1..{N}, got {args.neurons}")
    if args.trials < 1:
        sys.exit("circuit_to_nwb: --trials must be >= 1")

    rng = np.random.default_rng(args.seed)
    neurons = np.sort(rng.choice(N, size=args.neurons, replace=False))
    lam = r0 + rates[:, :, neurons]            # [C, T, M], Hz
    clipped = int((lam < 0).sum())
    lam = np.maximum(lam, 0.0)

    # Trial timing, all on the dt grid (integers count dt steps).
    step = lambda k: k * dt
    order = np.repeat(np.arange(C), args.trials)
    rng.shuffle(order)
    pre_window = go_index                      # steps from window start to go
    post_window = T - go_index                 # steps from go to window end
    cursor = int(round(1.0 / dt))              # first trial starts at 1 s
    trials = []                                # (start, go, stop) in dt steps, condition
    for c in order:
        start = cursor
        go = start + pre_window + int(round(0.1 / dt)) + int(rng.integers(0, int(round(0.1 / dt)) + 1))
        stop = go + post_window + int(round(0.1 / dt))
        trials.append((start, go, stop, int(c)))
        cursor = stop + int(round(0.2 / dt)) + int(rng.integers(0, int(round(0.2 / dt)) + 1))
    session_end = cursor                       # steps

    # Spikes: baseline everywhere, replaced by the condition's profile inside each window.
    in_window = np.zeros(session_end, dtype=bool)
    for start, go, stop, c in trials:
        in_window[go - pre_window: go + post_window] = True
    spike_trains = []
    for m in range(len(neurons)):
        counts = rng.poisson(r0 * dt, size=session_end)
        counts[in_window] = 0
        for start, go, stop, c in trials:
            counts[go - pre_window: go + post_window] = rng.poisson(lam[c, :, m] * dt)
        bins = np.repeat(np.arange(session_end), counts)
        times = (bins + rng.uniform(0, 1, size=bins.size)) * dt
        spike_trains.append(np.sort(times))

    # EMG at 1/dt from dt/2: sample k is at (k + 0.5)·dt, the centre of grid step k.
    emg = np.zeros((session_end, K))
    for start, go, stop, c in trials:
        emg[go - pre_window: go + post_window] = targets[c]

    nwb = NWBFile(session_description=f"Poisson spikes of {len(neurons)} neurons of a CircuitFit circuit ({args.circuit})",
                  identifier=f"circuitfit-circuit-seed{args.seed}",
                  session_start_time=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc))
    nwb.add_trial_column(name="go_cue_time", description="go cue (s)")
    nwb.add_trial_column(name="condition", description="condition index 0..C-1, in the circuit dataset's order")
    nwb.add_trial_column(name="reach_angle", description="reach angle (rad)")
    nwb.add_trial_column(name="target_cos", description="cos(reach_angle): generate's first input channel")
    nwb.add_trial_column(name="target_sin", description="sin(reach_angle): generate's second input channel")
    for start, go, stop, c in trials:
        nwb.add_trial(start_time=step(start), stop_time=step(stop), go_cue_time=step(go), condition=c,
                      reach_angle=float(angles[c]), target_cos=float(np.cos(angles[c])), target_sin=float(np.sin(angles[c])))
    nwb.add_unit_column(name="circuit_index", description="index of the neuron in the circuit (same as the unit id)")
    for n, times in zip(neurons, spike_trains):
        nwb.add_unit(spike_times=times, id=int(n), circuit_index=int(n))
    behavior = nwb.create_processing_module("behavior", "behavioural signals")
    behavior.add(TimeSeries(name="EMG", data=emg, unit="a.u.", starting_time=dt / 2, rate=1 / dt,
                            description="the circuit dataset's muscle targets inside each trial's window, 0 elsewhere"))
    with NWBHDF5IO(args.out, "w") as io:
        io.write(nwb)

    side = {
        "circuit": os.path.abspath(args.circuit),
        "nwb": os.path.abspath(args.out),
        "circuit_indices": [int(n) for n in neurons],
        "baseline_hz": r0,
        "clipped_bins": clipped,
        "seed": args.seed,
        "conditions": C,
        "trials_per_condition": args.trials,
        "bin_ms": dt * 1000,
        "window_ms": [-go_index * dt * 1000, (T - go_index) * dt * 1000],
        "emg_rate_hz": 1 / dt,
        "spikes": int(sum(len(s) for s in spike_trains)),
        "session_s": session_end * dt,
    }
    json_path = args.json or os.path.splitext(args.out)[0] + ".json"
    with open(json_path, "w") as f:
        json.dump(side, f, indent=2)
    print(f"wrote {args.out}: {len(neurons)} units (circuit indices {side['circuit_indices'][:5]}...), "
          f"{len(trials)} trials ({args.trials} x {C} conditions), {side['spikes']} spikes, EMG {K} channels; "
          f"baseline {r0} Hz, {clipped} bins clipped at 0; wrote {json_path}")


if __name__ == "__main__":
    main()
