#!/usr/bin/env python3
"""Writes recordings with perturbation trials of a circuit made by `circuitfit generate --perturbation-sets`.

    python3 -m pip install pynwb scipy numpy
    python3 scripts/perturbed_recording.py CIRCUIT_DIR --out-dir DIR [--neurons 10] [--controls 6] [--perturbed 4] [--seed 1]

CIRCUIT_DIR holds dataset.npz (with perturbed_rates, perturbed_targets and the perturbation_* table)
and circuit.npz. Python is only the data maker and the NumPy witness here; circuitfit never runs it.

The session (times in s, every trial on the dataset's dt grid): `--controls` control trials of every
condition and `--perturbed` trials of every (set, condition); one trial of each set, in set order,
opens the session (so the sets' order of first appearance is generate's order), the rest are
shuffled. Units: the perturbed neurons of every set plus others drawn with `--seed` up to
`--neurons`, sorted; unit ids are circuit indices. In a trial's window (go − go_index·dt … go +
(T − go_index)·dt) a unit fires as Poisson with rate r0 + rates[c, t, n] (control) or r0 +
perturbed_rates[p, c, t, n] (set p), piecewise constant per bin; at r0 elsewhere. EMG: targets (or
perturbed_targets) at the bin centres, sampled at 1/dt from dt/2, 0 elsewhere.

Files written in DIR:
- session.nwb: trials columns go_cue_time, condition, perturbed_units (text "3;7;12", "" for a
  control trial), perturbed_list (the same ids as a ragged column, index=True; [] for a control),
  perturbation_kind ("silence"/"stimulate", "" for controls), opto_start/opto_stop (the window in
  s on the session clock, NaN for controls); TimeSeries processing/behavior/EMG.
- session_opto.nwb: the control trials and set 0's trials only, no perturbation columns; an
  OptogeneticSeries /stimulus/presentation/laser (5 mW while set 0's window is on, 0 elsewhere, at
  1 kHz) with its OptogeneticStimulusSite, and a boolean units column opto_tagged (set 0's neurons).
- session_flat.npz, session_flat.mat (MAT v5), session_trials.mat (MAT v5 struct array `trials`,
  trials(k).spikes{u}): the same session in the flat and struct layouts; perturbed_units is "none"
  for a control trial in the MAT files, and the MAT files also hold perturbed_list (a cell of
  numeric vectors, [] for a control; a vector field of the struct). No behaviour in the MAT files.
- expected.npz: what NumPy computes from the written spikes (np.histogram per trial, counts / dt,
  averaged over the trials): recorded [C, T, M] (controls), perturbed [P, C, T, M] (set order),
  perturbed_opto [1, C, T, M] (set 0), unit_ids [M], set_columns [P, k] (each set's neurons as
  columns of recorded), trial_ids_perturbed (the ids of the perturbation trials).
"""
import argparse
import datetime
import json
import os

import numpy as np


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("circuit")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--neurons", type=int, default=10)
    p.add_argument("--controls", type=int, default=6)
    p.add_argument("--perturbed", type=int, default=4)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()

    data = np.load(os.path.join(args.circuit, "dataset.npz"))
    circuit = np.load(os.path.join(args.circuit, "circuit.npz"))
    rates, prates = data["rates"], data["perturbed_rates"]          # [C,T,N], [P,C,T,N]
    targets, ptargets = data["targets"], data["perturbed_targets"]  # [C,T,K], [P,C,T,K]
    table = data["perturbation_neurons"]                             # [P,k], -1 pads
    windows = data["perturbation_window"]                            # [P,2] steps
    kinds = [str(k) for k in data["perturbation_kind"]]
    dt = float(data["dt_ms"]) / 1000
    go_index = int(data["go_index"])
    C, T, N = rates.shape
    P = prates.shape[0]
    r0 = float(circuit["r0_hz"])
    rng = np.random.default_rng(args.seed)

    perturbed_neurons = sorted({int(n) for n in table.ravel() if n >= 0})
    others = [n for n in range(N) if n not in perturbed_neurons]
    extra = max(0, args.neurons - len(perturbed_neurons))
    neurons = np.array(sorted(perturbed_neurons + list(rng.choice(others, size=extra, replace=False))))
    M = len(neurons)
    column = {int(n): j for j, n in enumerate(neurons)}

    # trials: (condition, set or -1); one of each set first, in set order
    kinds_of_trials = [(c, -1) for c in range(C) for _ in range(args.controls)]
    kinds_of_trials += [(c, s) for s in range(P) for c in range(C) for _ in range(args.perturbed)]
    first = [next(i for i, t in enumerate(kinds_of_trials) if t[1] == s) for s in range(P)]
    head = [kinds_of_trials[i] for i in first]
    rest = [t for i, t in enumerate(kinds_of_trials) if i not in first]
    order = [rest[i] for i in rng.permutation(len(rest))]
    order = head + order

    pre, post = go_index, T - go_index
    cursor = int(round(1.0 / dt))
    trials = []       # dict(start, go, stop in steps, c, s)
    for c, s in order:
        start = cursor
        go = start + pre + int(round(0.1 / dt)) + int(rng.integers(0, 10))
        stop = go + post + int(round(0.1 / dt))
        trials.append(dict(start=start, go=go, stop=stop, c=c, s=s))
        cursor = stop + int(round(0.2 / dt)) + int(rng.integers(0, 20))
    end = cursor

    in_window = np.zeros(end, dtype=bool)
    for tr in trials:
        in_window[tr["go"] - pre: tr["go"] + post] = True
    trains = []
    for j, n in enumerate(neurons):
        counts = rng.poisson(r0 * dt, size=end)
        counts[in_window] = 0
        for tr in trials:
            lam = r0 + (rates[tr["c"], :, n] if tr["s"] < 0 else prates[tr["s"], tr["c"], :, n])
            counts[tr["go"] - pre: tr["go"] + post] = rng.poisson(np.maximum(lam, 0) * dt)
        bins = np.repeat(np.arange(end), counts)
        trains.append(np.sort((bins + rng.uniform(0.001, 0.999, size=bins.size)) * dt))
    K = targets.shape[2]
    emg = np.zeros((end, K))
    for tr in trials:
        emg[tr["go"] - pre: tr["go"] + post] = targets[tr["c"]] if tr["s"] < 0 else ptargets[tr["s"], tr["c"]]

    # the NumPy witness: PSTHs from the written spikes
    edges = (np.arange(T + 1) - go_index) * dt
    def psth(rows):
        out = np.zeros((T, M))
        for tr in rows:
            go_s = tr["go"] * dt
            for j in range(M):
                out[:, j] += np.histogram(trains[j] - go_s, bins=edges)[0] / dt
        return out / len(rows)
    recorded = np.stack([psth([t for t in trials if t["c"] == c and t["s"] < 0]) for c in range(C)])
    perturbed = np.stack([np.stack([psth([t for t in trials if t["c"] == c and t["s"] == s]) for c in range(C)]) for s in range(P)])
    width = table.shape[1]
    set_columns = np.array([[column[int(n)] if n >= 0 else -1 for n in row] for row in table], dtype=np.int64)
    ids_perturbed = np.array([i for i, t in enumerate(trials) if t["s"] >= 0], dtype=np.int64)
    os.makedirs(args.out_dir, exist_ok=True)
    out = lambda name: os.path.join(args.out_dir, name)
    np.savez(out("expected.npz"), recorded=recorded, perturbed=perturbed, perturbed_opto=perturbed[:1],
             unit_ids=neurons.astype(np.int64), set_columns=set_columns, trial_ids_perturbed=ids_perturbed)

    label = lambda tr: "" if tr["s"] < 0 else ";".join(str(int(n)) for n in table[tr["s"]] if n >= 0)
    unit_list = lambda tr: [] if tr["s"] < 0 else [int(n) for n in table[tr["s"]] if n >= 0]
    win_s = lambda tr, e: (tr["go"] + windows[tr["s"], e] - go_index) * dt
    cols = dict(
        start_time=np.array([t["start"] * dt for t in trials]), stop_time=np.array([t["stop"] * dt for t in trials]),
        go_cue_time=np.array([t["go"] * dt for t in trials]), condition=np.array([float(t["c"]) for t in trials]),
        perturbed_units=[label(t) for t in trials],
        perturbation_kind=["" if t["s"] < 0 else kinds[t["s"]] for t in trials],
        opto_start=np.array([np.nan if t["s"] < 0 else win_s(t, 0) for t in trials]),
        opto_stop=np.array([np.nan if t["s"] < 0 else win_s(t, 1) for t in trials]))

    from pynwb import NWBHDF5IO, NWBFile, TimeSeries
    from pynwb.ogen import OptogeneticSeries

    def nwb_file(rows, opto):
        nwb = NWBFile(session_description="perturbation trials of a CircuitFit circuit", identifier="circuitfit-perturbed",
                      session_start_time=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc))
        names = ["go_cue_time", "condition"] + ([] if opto else ["perturbed_units", "perturbation_kind", "opto_start", "opto_stop"])
        for name in names:
            nwb.add_trial_column(name=name, description=name)
        if not opto:
            nwb.add_trial_column(name="perturbed_list", description="perturbed unit ids ([] = control)", index=True)
        for i in rows:
            extra = {} if opto else {"perturbed_list": unit_list(trials[i])}
            nwb.add_trial(**{k: cols[k][i] for k in ["start_time", "stop_time"] + names}, **extra)
        nwb.add_unit_column(name="opto_tagged", description="True = the light acts on this unit (set 0's neurons)")
        for j, n in enumerate(neurons):
            tagged = int(n) in [int(x) for x in table[0] if x >= 0]
            nwb.add_unit(spike_times=trains[j], id=int(n), opto_tagged=tagged)   # a bool: an HDF5 enum
        module = nwb.create_processing_module("behavior", "behaviour")
        module.add(TimeSeries(name="EMG", data=emg, unit="a.u.", starting_time=dt / 2, rate=1 / dt, description="targets"))
        if opto:
            device = nwb.create_device(name="laser")
            site = nwb.create_ogen_site(name="site", device=device, description="fibre over the recorded neurons",
                                        excitation_lambda=594.0, location="M1")
            ms = int(round(end * dt * 1000))
            power = np.zeros(ms)
            for i in rows:
                tr = trials[i]
                if tr["s"] == 0:
                    a = int(round(win_s(tr, 0) * 1000)); b = int(round(win_s(tr, 1) * 1000))
                    power[a:b] = 0.005
            nwb.add_stimulus(OptogeneticSeries(name="laser", data=power, site=site, rate=1000.0, starting_time=0.0))
        return nwb

    with NWBHDF5IO(out("session.nwb"), "w") as io:
        io.write(nwb_file(range(len(trials)), opto=False))
    with NWBHDF5IO(out("session_opto.nwb"), "w") as io:
        io.write(nwb_file([i for i, t in enumerate(trials) if t["s"] in (-1, 0)], opto=True))

    np.savez(out("session_flat.npz"),
             spike_times=np.concatenate(trains), spike_times_index=np.cumsum([len(s) for s in trains]).astype(np.int64),
             unit_ids=neurons.astype(np.int64), trials_start_time=cols["start_time"], trials_stop_time=cols["stop_time"],
             trials_go_cue_time=cols["go_cue_time"], trials_condition=cols["condition"],
             trials_perturbed_units=np.array(cols["perturbed_units"]),
             EMG=emg, EMG_rate=np.float64(1 / dt), EMG_starting_time=np.float64(dt / 2))

    import scipy.io
    mat_units = [u if u else "none" for u in cols["perturbed_units"]]
    cell = np.empty((1, M), dtype=object)
    for j, s in enumerate(trains):
        cell[0, j] = s.reshape(-1, 1)
    text = np.empty((1, len(trials)), dtype=object)
    lists = np.empty((1, len(trials)), dtype=object)
    for i, u in enumerate(mat_units):
        text[0, i] = u
        lists[0, i] = np.array([unit_list(trials[i])], dtype=np.float64).reshape(1, -1) if unit_list(trials[i]) else np.zeros((0, 0))
    scipy.io.savemat(out("session_flat.mat"), {
        "spike_times": cell, "unit_ids": neurons.astype(np.float64),
        "trials_start_time": cols["start_time"], "trials_stop_time": cols["stop_time"],
        "trials_go_cue_time": cols["go_cue_time"], "trials_condition": cols["condition"], "trials_perturbed_units": text,
        "trials_perturbed_list": lists,
    }, format="5", do_compression=True, oned_as="column")
    dtype = [("spikes", object), ("start_time", object), ("stop_time", object), ("go_cue_time", object),
             ("condition", object), ("perturbed_units", object), ("perturbed_list", object)]
    s = np.zeros((1, len(trials)), dtype=dtype)
    for k, tr in enumerate(trials):
        c = np.empty((1, M), dtype=object)
        for j, train in enumerate(trains):
            c[0, j] = train[(train >= tr["start"] * dt) & (train <= tr["stop"] * dt)].reshape(-1, 1)
        s[0, k] = (c, cols["start_time"][k], cols["stop_time"][k], cols["go_cue_time"][k], cols["condition"][k], mat_units[k], lists[0, k])
    scipy.io.savemat(out("session_trials.mat"), {"trials": s, "unit_ids": neurons.astype(np.float64)},
                     format="5", do_compression=True, oned_as="column")
    print(json.dumps({"units": M, "trials": len(trials), "sets": P, "spikes": int(sum(len(t) for t in trains))}))


if __name__ == "__main__":
    main()
