#!/usr/bin/env python3
"""Makes the "lab" import fixtures: ONE recording written the ways labs write it, with the real
writers (scipy.io.savemat, h5py in MATLAB's v7.3 layout, pynwb), plus the arrays numpy computes
from the same spikes (the independent witness).

    python3 -m pip install pynwb h5py scipy numpy
    cd Tests/CircuitFitTests/Fixtures/import && python3 make_lab_fixtures.py

Seeded: running it again rewrites the same values (file bytes may differ in the timestamps the
writers embed). The tests read the committed files, never this script.

The recording (times in s, session clock): 3 units (ids 101, 205, 333) firing Poisson spikes
from known rates; 8 reach directions 0, 45, …, 315 degrees, labelled "0deg", "45deg", …; 7 trials
per direction = 56 trials in a seeded random order, each with start_time, stop_time, go_cue_time,
reach_dir_deg, target (the label) and outcome: "success", except 4 "failure" trials (with a go
cue) and 4 "abort" trials (go cue NaN). Behaviour: EMG, 2 channels in µV, sampled at 100 Hz from
0 s (sample k at k/100 s) over the whole session; hand_velocity, 1 channel (m/s), 50 Hz.

Files:
lab_flat.npz         the flat layout (NumPy): spike_times + spike_times_index, unit_ids,
                     trials_* columns (target and outcome as NumPy unicode arrays), EMG with
                     EMG_rate and EMG_starting_time, hand_velocity with hand_velocity_rate.
lab_flat_v5.mat      the flat layout in MAT v5 (savemat): spike_times as a cell, target and
                     outcome as cellstr (cell arrays of char).
lab_trials_v5.mat    a struct array `trials` (1 x 56, savemat): trials(k).spikes{u} (the unit's
                     spikes within the trial, session clock), start_time, stop_time, go_cue_time
                     ([] for aborts), reach_dir_deg, target ('45deg', char), outcome (char), EMG
                     (per-trial [samples, 2] matrix, µV) with EMG_timestamps (per-trial time
                     vector); top-level unit_ids.
lab_trials_relative_v5.mat  the same, but every trial on its own clock (its spikes, events, start
                     and stop and EMG_timestamps minus its start_time): the same arrays up to float
                     rounding of the subtraction.
lab_trials_v73.mat   the same struct array in the MATLAB v7.3 layout written by h5py: a group
                     `trials` (MATLAB_class struct) whose fields are (56, 1) object-reference
                     datasets into #refs#; char as uint16; [] as MATLAB_empty; EMG per trial with
                     a per-trial EMG_starting_time field and a top-level EMG_rate = 100.
lab.nwb              pynwb: a Units table with spike_times, electrodes and obs_intervals; the
                     trials table with the columns above; processing/behavior/EMG (TimeSeries,
                     unit µV) and processing/behavior/BehavioralTimeSeries/hand_velocity.
lab_no_trials.mat    neither layout: a 1 x 1 struct `session` and a number `emg_rate` (for the error
                     that lists what the file holds).
lab_expected.npz     what the import must give with --condition-column target --align-to
                     go_cue_time --window-ms -200,400 --bin-ms 20 --smooth-ms 0 --behavior EMG
                     --inputs angle --angle-column reach_dir_deg --angle-unit deg
                     --where outcome=success: `recorded` [8, 30, 3] (trial-averaged counts / bin
                     s), `targets` [8, 30, 2] (EMG interpolated at bin centres, averaged),
                     `inputs` [8, 30, 3] (cos, sin, hold), `labels` (sorted in code-point order),
                     `angles` (rad), `trials_per_condition`, `excluded_ids` (trial ids left out),
                     `unit_ids`.
"""
import datetime
import os

import h5py
import numpy as np
import scipy.io
from pynwb import NWBHDF5IO, NWBFile, TimeSeries
from pynwb.behavior import BehavioralTimeSeries

HERE = os.path.dirname(os.path.abspath(__file__))
UNIT_IDS = [101, 205, 333]
DIRECTIONS = np.arange(8) * 45.0
LABELS = [f"{int(d)}deg" for d in DIRECTIONS]
TRIALS_PER_DIRECTION = 7
EMG_RATE, VEL_RATE = 100.0, 50.0
WINDOW_MS, BIN_MS = (-200.0, 400.0), 20.0


def path(name):
    return os.path.join(HERE, name)


def rate_hz(unit, tau, angle):
    """Known rate of `unit` tau s after the go cue for a reach at `angle` (rad)."""
    if unit == 0:
        return 8 + 30 * (1 + np.cos(angle)) / 2 * np.exp(-(tau - 0.12) ** 2 / (2 * 0.08 ** 2))
    if unit == 1:
        return 15 + 12 * (1 + np.sin(angle)) / (1 + np.exp(tau / 0.05))
    return 5 + 25 * np.exp(-(tau - 0.25) ** 2 / (2 * 0.06 ** 2)) * (1 + np.cos(angle - 1)) / 2


def emg_uv(t, trials):
    """2 channels of EMG (µV): a rest level plus a bump after each go cue, scaled by direction."""
    out = np.column_stack([np.full_like(t, 5.0), np.full_like(t, 3.0)])
    for tr in trials:
        if np.isnan(tr["go"]):
            continue
        a = np.deg2rad(tr["dir"])
        bump = np.exp(-(t - tr["go"] - 0.15) ** 2 / (2 * 0.07 ** 2))
        out[:, 0] += 40 * (1 + np.cos(a)) * bump
        out[:, 1] += 25 * (1 + np.sin(a)) * bump
    return out


def make_recording():
    rng = np.random.default_rng(20260513)
    order = np.repeat(np.arange(8), TRIALS_PER_DIRECTION)
    rng.shuffle(order)
    outcomes = np.array(["success"] * len(order), dtype=object)
    special = rng.choice(len(order), size=8, replace=False)
    outcomes[special[:4]] = "failure"
    outcomes[special[4:]] = "abort"
    trials = []
    t = 1.0
    for k, c in enumerate(order):
        start = round(t + rng.uniform(0, 0.05), 6)
        go = round(start + 0.5 + rng.uniform(0, 0.1), 6)
        stop = round(go + 0.6, 6)
        trials.append(dict(start=start, stop=stop, go=np.nan if outcomes[k] == "abort" else go,
                           dir=DIRECTIONS[c], label=LABELS[c], outcome=outcomes[k], move=go))
        t = stop + 0.3 + rng.uniform(0, 0.1)
    session_end = t + 0.5

    # Spikes: 10 Hz between trials, the known rate functions within them (thinning at 50 Hz).
    spikes = []
    for u in range(3):
        s = []
        edges = [0.0] + [x for tr in trials for x in (tr["start"], tr["stop"])] + [session_end]
        for a, b in zip(edges[0::2], edges[1::2]):
            n = rng.poisson(10 * (b - a))
            s.append(rng.uniform(a, b, n))
        for tr in trials:
            n = rng.poisson(50 * (tr["stop"] - tr["start"]))
            x = rng.uniform(tr["start"], tr["stop"], n)
            keep = rng.uniform(0, 50, n) < rate_hz(u, x - tr["move"], np.deg2rad(tr["dir"]))
            s.append(x[keep])
        spikes.append(np.sort(np.concatenate(s)))

    emg_t = np.arange(int(session_end * EMG_RATE)) / EMG_RATE
    emg = emg_uv(emg_t, trials)
    vel_t = np.arange(int(session_end * VEL_RATE)) / VEL_RATE
    vel = np.zeros_like(vel_t)
    for tr in trials:
        if not np.isnan(tr["go"]):
            vel += np.cos(np.deg2rad(tr["dir"])) * np.exp(-(vel_t - tr["go"] - 0.2) ** 2 / (2 * 0.1 ** 2))
    return trials, spikes, emg_t, emg, vel_t, vel


def columns(trials):
    return dict(start_time=np.array([t["start"] for t in trials]), stop_time=np.array([t["stop"] for t in trials]),
                go_cue_time=np.array([t["go"] for t in trials]), reach_dir_deg=np.array([t["dir"] for t in trials]),
                target=[t["label"] for t in trials], outcome=[t["outcome"] for t in trials])


# ---------------------------------------------------------------------------------------------
def write_flat_npz(trials, spikes, emg, vel):
    c = columns(trials)
    np.savez(path("lab_flat.npz"),
             spike_times=np.concatenate(spikes), spike_times_index=np.cumsum([len(s) for s in spikes]).astype(np.int64),
             unit_ids=np.array(UNIT_IDS, dtype=np.int64),
             trials_start_time=c["start_time"], trials_stop_time=c["stop_time"], trials_go_cue_time=c["go_cue_time"],
             trials_reach_dir_deg=c["reach_dir_deg"], trials_target=np.array(c["target"]), trials_outcome=np.array(c["outcome"]),
             EMG=emg, EMG_rate=np.float64(EMG_RATE), EMG_starting_time=np.float64(0.0),
             hand_velocity=vel, hand_velocity_rate=np.float64(VEL_RATE))


def cellstr(strings):
    cell = np.empty((1, len(strings)), dtype=object)
    for i, s in enumerate(strings):
        cell[0, i] = s
    return cell


def write_flat_v5(trials, spikes, emg, vel):
    c = columns(trials)
    cell = np.empty((1, len(spikes)), dtype=object)
    for i, s in enumerate(spikes):
        cell[0, i] = s.reshape(-1, 1)
    scipy.io.savemat(path("lab_flat_v5.mat"), {
        "spike_times": cell, "unit_ids": np.array(UNIT_IDS, dtype=np.float64),
        "trials_start_time": c["start_time"], "trials_stop_time": c["stop_time"], "trials_go_cue_time": c["go_cue_time"],
        "trials_reach_dir_deg": c["reach_dir_deg"], "trials_target": cellstr(c["target"]), "trials_outcome": cellstr(c["outcome"]),
        "EMG": emg, "EMG_rate": EMG_RATE, "EMG_starting_time": 0.0,
    }, format="5", do_compression=True, oned_as="column")


def trial_samples(tr, times):
    """Indices of the samples within the trial's start…stop."""
    return np.nonzero((times >= tr["start"]) & (times <= tr["stop"]))[0]


def write_trials_v5(trials, spikes, emg_t, emg, relative=False):
    dtype = [("spikes", object), ("start_time", object), ("stop_time", object), ("go_cue_time", object),
             ("reach_dir_deg", object), ("target", object), ("outcome", object), ("EMG", object), ("EMG_timestamps", object)]
    s = np.zeros((1, len(trials)), dtype=dtype)
    for k, tr in enumerate(trials):
        cell = np.empty((1, len(spikes)), dtype=object)
        for u, train in enumerate(spikes):
            cell[0, u] = train[(train >= tr["start"]) & (train <= tr["stop"])].reshape(-1, 1)
        idx = trial_samples(tr, emg_t)
        zero = tr["start"] if relative else 0.0          # each trial on its own clock: 0 at its start
        if relative:
            for u in range(len(spikes)):
                cell[0, u] = cell[0, u] - zero
        s[0, k] = (cell, tr["start"] - zero, tr["stop"] - zero, np.zeros((0, 0)) if np.isnan(tr["go"]) else tr["go"] - zero,
                   tr["dir"], tr["label"], tr["outcome"], emg[idx], emg_t[idx].reshape(-1, 1) - zero)
    name = "lab_trials_relative_v5.mat" if relative else "lab_trials_v5.mat"
    scipy.io.savemat(path(name), {"trials": s, "unit_ids": np.array(UNIT_IDS, dtype=np.float64)},
                     format="5", do_compression=True, oned_as="column")


# MATLAB v7.3 as MATLAB writes it: an m x n array is an HDF5 dataset of shape (n, m).
def set_class(obj, name):
    obj.attrs.create("MATLAB_class", np.bytes_(name))


class V73Writer:
    def __init__(self, f):
        self.f = f
        self.refs = f.create_group("#refs#")
        self.count = 0

    def store(self, value, where=None, name=None):
        """Writes `value` under #refs# (or as where/name) in MATLAB's layout; returns the object."""
        if name is None:
            name = f"r{self.count}"
            self.count += 1
            where = self.refs
        if isinstance(value, str):
            d = where.create_dataset(name, data=np.array([[ord(ch)] for ch in value], dtype=np.uint16))
            set_class(d, "char")
            d.attrs.create("MATLAB_int_decode", np.int32(2))
        elif isinstance(value, list):                      # a 1 x n cell
            handles = np.empty((len(value), 1), dtype=h5py.ref_dtype)
            for i, v in enumerate(value):
                handles[i, 0] = self.store(v).ref
            d = where.create_dataset(name, data=handles)
            set_class(d, "cell")
        else:
            a = np.asarray(value, dtype=np.float64)
            if a.size == 0:
                d = where.create_dataset(name, data=np.array([0, 0], dtype=np.uint64))
                set_class(d, "double")
                d.attrs.create("MATLAB_empty", np.uint8(1))
            else:
                a = a.reshape(1, 1) if a.ndim == 0 else (a.reshape(-1, 1) if a.ndim == 1 else a)
                d = where.create_dataset(name, data=a.T)
                set_class(d, "double")
        return d


def write_trials_v73(trials, spikes, emg_t, emg):
    target = path("lab_trials_v73.mat")
    with h5py.File(target, "w", userblock_size=512) as f:
        w = V73Writer(f)
        g = f.create_group("trials")
        set_class(g, "struct")
        fields = {"spikes": [], "start_time": [], "stop_time": [], "go_cue_time": [], "reach_dir_deg": [],
                  "target": [], "outcome": [], "EMG": [], "EMG_starting_time": []}
        for tr in trials:
            fields["spikes"].append([train[(train >= tr["start"]) & (train <= tr["stop"])] for train in spikes])
            fields["start_time"].append(tr["start"])
            fields["stop_time"].append(tr["stop"])
            fields["go_cue_time"].append(np.zeros(0) if np.isnan(tr["go"]) else tr["go"])
            fields["reach_dir_deg"].append(tr["dir"])
            fields["target"].append(tr["label"])
            fields["outcome"].append(tr["outcome"])
            idx = trial_samples(tr, emg_t)
            fields["EMG"].append(emg[idx])
            fields["EMG_starting_time"].append(emg_t[idx[0]])
        for name, values in fields.items():
            handles = np.empty((len(values), 1), dtype=h5py.ref_dtype)   # a 1 x n struct array
            for k, v in enumerate(values):
                handles[k, 0] = w.store(v).ref
            g.create_dataset(name, data=handles)                       # no MATLAB_class: struct array field
        w.store(np.array(UNIT_IDS, dtype=np.float64).reshape(1, -1), f, "unit_ids")
        w.store(EMG_RATE, f, "EMG_rate")
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Wed May 13 12:00:00 2026 HDF5 schema 1.00 ."
    header = header.ljust(116, b" ") + b"\x00" * 8 + b"\x00\x02" + b"IM"
    with open(target, "r+b") as f:
        f.write(header.ljust(512, b"\x00"))


def write_nwb(trials, spikes, emg, vel):
    nwb = NWBFile(session_description="CircuitFit lab fixture: a centre-out reach session",
                  identifier="circuitfit-lab", session_start_time=datetime.datetime(2026, 5, 13, tzinfo=datetime.timezone.utc))
    device = nwb.create_device(name="array")
    group = nwb.create_electrode_group(name="shank0", description="one shank", location="M1", device=device)
    for e in range(3):
        nwb.add_electrode(group=group, location="M1")
    nwb.add_trial_column(name="go_cue_time", description="go cue (s), NaN for aborted trials")
    nwb.add_trial_column(name="reach_dir_deg", description="reach direction (degrees)")
    nwb.add_trial_column(name="target", description="reach target")
    nwb.add_trial_column(name="outcome", description="success, failure or abort")
    for tr in trials:
        nwb.add_trial(start_time=tr["start"], stop_time=tr["stop"], go_cue_time=tr["go"], reach_dir_deg=tr["dir"],
                      target=tr["label"], outcome=tr["outcome"])
    session = [[0.0, float(len(emg)) / EMG_RATE]]
    for e, (uid, s) in enumerate(zip(UNIT_IDS, spikes)):
        nwb.add_unit(spike_times=s, id=uid, electrodes=[e], obs_intervals=session)
    behavior = nwb.create_processing_module("behavior", "behavioural signals")
    behavior.add(TimeSeries(name="EMG", data=emg, unit="µV", starting_time=0.0, rate=EMG_RATE, description="EMG, 2 muscles"))
    velocity = BehavioralTimeSeries(name="BehavioralTimeSeries")
    velocity.add_timeseries(TimeSeries(name="hand_velocity", data=vel, unit="m/s", starting_time=0.0, rate=VEL_RATE))
    behavior.add(velocity)
    with NWBHDF5IO(path("lab.nwb"), "w") as io:
        io.write(nwb, cache_spec=False)


def write_expected(trials, spikes, emg_t, emg):
    """The dataset numpy computes from the same spikes (the witness for every format)."""
    start, bin_s = WINDOW_MS[0] / 1000, BIN_MS / 1000
    bins = int(round((WINDOW_MS[1] - WINDOW_MS[0]) / BIN_MS))
    go_index = int(round(-WINDOW_MS[0] / BIN_MS))
    labels = sorted(set(LABELS))                              # code-point order: "0deg", "135deg", …
    used = [k for k, tr in enumerate(trials) if tr["outcome"] == "success"]
    excluded = [k for k in range(len(trials)) if k not in used]
    recorded = np.zeros((len(labels), bins, 3))
    targets = np.zeros((len(labels), bins, 2))
    inputs = np.zeros((len(labels), bins, 3))
    counts = np.zeros(len(labels), dtype=np.int64)
    angles = np.zeros(len(labels))
    centres = start + (np.arange(bins) + 0.5) * bin_s
    for k in used:
        tr = trials[k]
        c = labels.index(tr["label"])
        counts[c] += 1
        for u, s in enumerate(spikes):
            offset_ms = (s - tr["go"]) * 1000
            position = np.floor((offset_ms - WINDOW_MS[0]) / BIN_MS + 1e-6)
            inside = (position >= 0) & (position < bins)
            recorded[c, :, u] += np.bincount(position[inside].astype(int), minlength=bins) / bin_s
        for ch in range(2):
            targets[c, :, ch] += np.interp(tr["go"] + centres, emg_t, emg[:, ch])
        a = np.deg2rad(tr["dir"])
        angles[c] = a
        inputs[c, :go_index] += [np.cos(a), np.sin(a), 1.0]
    recorded /= counts[:, None, None]
    targets /= counts[:, None, None]
    inputs /= counts[:, None, None]
    np.savez(path("lab_expected.npz"), recorded=recorded, targets=targets, inputs=inputs,
             labels=np.array(labels), angles=angles, trials_per_condition=counts,
             excluded_ids=np.array(excluded, dtype=np.int64), unit_ids=np.array(UNIT_IDS, dtype=np.int64))


def write_no_trials():
    scipy.io.savemat(path("lab_no_trials.mat"), {"session": {"animal": "J", "date": "2026-05-13"}, "emg_rate": 100.0}, format="5")


if __name__ == "__main__":
    trials, spikes, emg_t, emg, vel_t, vel = make_recording()
    write_flat_npz(trials, spikes, emg, vel)
    write_flat_v5(trials, spikes, emg, vel)
    write_trials_v5(trials, spikes, emg_t, emg)
    write_trials_v5(trials, spikes, emg_t, emg, relative=True)
    write_trials_v73(trials, spikes, emg_t, emg)
    write_nwb(trials, spikes, emg, vel)
    write_expected(trials, spikes, emg_t, emg)
    write_no_trials()
    for name in sorted(os.listdir(HERE)):
        if name.startswith("lab"):
            print(f"{os.path.getsize(path(name)):>9}  {name}")
