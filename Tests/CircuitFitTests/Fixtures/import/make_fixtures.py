#!/usr/bin/env python3
"""Makes the import fixtures with the real writers (pynwb, scipy.io.savemat, h5py).

    python3 -m pip install pynwb h5py scipy numpy
    cd Tests/CircuitFitTests/Fixtures/import && python3 make_fixtures.py

Seeded: running it again rewrites the same spikes and values (file bytes may differ in the
timestamps the writers embed). The tests read the committed files, never this script.

Files (times in seconds, rates in Hz, windows in ms relative to the alignment event):

reach.nwb            80 trials, 4 reach targets x 20 trials (string column `target`, numeric
                     `reach_angle` in radians), `go_cue_time`; 3 units (ids 11, 23, 42) whose spikes
                     are Poisson draws from the known rate functions below; TimeSeries `EMG`
                     (processing/behavior, 2 channels, rate 100 Hz, conversion 1e-3, gzip),
                     `force` (processing/behavior, 10 Hz, one NaN inside trial 5's window) and
                     `hand_velocity` (acquisition, irregular timestamps, within trials only).
reach_expected.npz   the truth for window [-400, 600) ms, 20 ms bins, conditions in sorted label
                     order (down, left, right, up): `rates_hz` [C,T,M] (bin-averaged rate
                     functions), `emg` [C,T,2] and `hand_velocity` [C,T,1] at bin centres,
                     `angles` [C], `trials_per_condition` [C].
alignment.nwb        3 trials (condition 1, 2, 1) with go cues at awkward times; deterministic spikes
                     placed exactly at go + k * 10 ms; TimeSeries `emg` (2 channels, linear in time).
recording.mat        the alignment recording as named arrays, MATLAB v5 (scipy.io.savemat):
                     `spike_times` (cell of column vectors), `unit_ids`, `trials_start_time`,
                     `trials_stop_time`, `trials_go_cue_time`, `trials_condition`, `emg` [T,2],
                     `emg_rate`, `emg_starting_time`, plus `matrix_3x4`, `counts_int32`, and
                     wrong-type variables `session_name` (char), `meta` (struct), `trials_subject`
                     (char).
recording_uncompressed.mat  the same, written without compression (for the mutation test).
recording_v73.mat    the same variables in the MATLAB v7.3 layout written by h5py: HDF5 with a
                     512-byte MATLAB header in the userblock, arrays stored transposed
                     (column-major), `MATLAB_class` attributes, the cell's vectors under `#refs#`.
recording.npz        the alignment recording as NumPy arrays: `spike_times` (flat) with
                     `spike_times_index` (end index of each unit's spikes, as NWB's VectorIndex).
no_units.nwb         an NWB file with trials but no units table.
not_hdf5.nwb         a text file.
"""
import datetime
import os

import h5py
import numpy as np
import scipy.io
from pynwb import NWBHDF5IO, NWBFile, TimeSeries
from hdmf.backends.hdf5.h5_utils import H5DataIO

HERE = os.path.dirname(os.path.abspath(__file__))
START = datetime.datetime(2024, 1, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)


def path(name):
    return os.path.join(HERE, name)


def new_nwb(identifier):
    return NWBFile(session_description="CircuitFit import fixture", identifier=identifier,
                   session_start_time=START)


def write_nwb(nwb, name, cache_spec=False):
    """cache_spec=False leaves out the ~180 kB namespace copy (reach.nwb keeps it, as most files do)."""
    with NWBHDF5IO(path(name), "w") as io:
        io.write(nwb, cache_spec=cache_spec)


# ---------------------------------------------------------------------------------------------
# reach.nwb: Poisson spikes from known rates
TARGETS = {"right": 0.0, "up": np.pi / 2, "left": np.pi, "down": 3 * np.pi / 2}
LABELS = sorted(TARGETS)                      # down, left, right, up: the importer's order
UNIT_IDS = [11, 23, 42]
TRIALS_PER_CONDITION = 20
BASELINE_HZ = 5.0                             # between trials


def rate_hz(unit, tau, angle, cond_index):
    """Known rate of `unit` at time tau (s) after the go cue, for a reach to `angle`."""
    if unit == 0:
        return 10 + 30 * (1 + np.cos(angle)) / 2 * np.exp(-(tau - 0.15) ** 2 / (2 * 0.1 ** 2))
    if unit == 1:
        return 20 + 10 * (1 + np.sin(angle)) / (1 + np.exp(tau / 0.05))
    return 5 + 40 * np.exp(-(tau - 0.3) ** 2 / (2 * 0.08 ** 2)) * (cond_index + 1) / 4


RATE_MAX_HZ = 50.0


def emg_amplitudes(angle):
    return np.array([1 + np.cos(angle), 1 + np.sin(angle)])


def emg_bump(tau):
    return np.exp(-(tau - 0.2) ** 2 / (2 * 0.1 ** 2))


def poisson_spikes(rng, t0, t1, rate_fn):
    """Inhomogeneous Poisson spikes on [t0, t1) by thinning a RATE_MAX_HZ process."""
    n = rng.poisson(RATE_MAX_HZ * (t1 - t0))
    times = np.sort(rng.uniform(t0, t1, n))
    keep = rng.uniform(0, RATE_MAX_HZ, n) < rate_fn(times)
    return times[keep]


def make_reach():
    rng = np.random.default_rng(20240501)
    conds = np.repeat(np.arange(len(LABELS)), TRIALS_PER_CONDITION)
    rng.shuffle(conds)
    trials = []
    t = 2.0
    for c in conds:
        start = t + rng.uniform(0, 0.1)
        go = start + 0.5 + rng.uniform(0, 0.2)
        stop = go + 0.8
        trials.append((start, go, stop, c))
        t = start + 1.6
    session_end = trials[-1][2] + 1.0

    spikes = [[] for _ in UNIT_IDS]
    for u in range(len(UNIT_IDS)):
        gaps = [(0.0, trials[0][0])] + [(trials[i][2], trials[i + 1][0]) for i in range(len(trials) - 1)]
        gaps.append((trials[-1][2], session_end))
        for a, b in gaps:
            spikes[u].append(poisson_spikes(rng, a, b, lambda x: np.full_like(x, BASELINE_HZ)))
        for start, go, stop, c in trials:
            angle = TARGETS[LABELS[c]]
            spikes[u].append(poisson_spikes(rng, start, stop, lambda x: rate_hz(u, x - go, angle, c)))
    spikes = [np.sort(np.concatenate(s)) for s in spikes]

    nwb = new_nwb("circuitfit-reach")
    nwb.add_trial_column(name="go_cue_time", description="go cue (s)")
    nwb.add_trial_column(name="target", description="reach target")
    nwb.add_trial_column(name="reach_angle", description="reach angle (rad)")
    for start, go, stop, c in trials:
        nwb.add_trial(start_time=start, stop_time=stop, go_cue_time=go, target=LABELS[c],
                      reach_angle=TARGETS[LABELS[c]])
    for uid, s in zip(UNIT_IDS, spikes):
        nwb.add_unit(spike_times=s, id=uid)

    # EMG: 1 + sum over trials of amplitude * bump(t - go), stored in mV, conversion 1e-3 -> V.
    emg_t = np.arange(0, session_end, 0.01)
    emg = np.ones((len(emg_t), 2))
    for start, go, stop, c in trials:
        emg += np.outer(emg_bump(emg_t - go), emg_amplitudes(TARGETS[LABELS[c]]))
    behavior = nwb.create_processing_module("behavior", "behavioural signals")
    behavior.add(TimeSeries(name="EMG", data=H5DataIO((emg * 1000).astype(np.float32), compression="gzip"),
                            unit="V", conversion=1e-3, starting_time=0.0, rate=100.0))
    force_t = np.arange(0, session_end, 0.1)
    force = np.sin(force_t).astype(np.float32)
    force[int(np.ceil(trials[5][1] * 10))] = np.nan
    behavior.add(TimeSeries(name="force", data=force, unit="N", starting_time=0.0, rate=10.0))

    # Hand velocity: b_c * (t - go) within each trial, sampled at jittered 40 Hz, only in trials.
    vt, vv = [], []
    for start, go, stop, c in trials:
        ts = np.arange(start, stop, 0.025) + rng.uniform(0, 0.005)
        ts = ts[ts <= stop]
        vt.append(ts)
        vv.append(np.cos(TARGETS[LABELS[c]]) * (ts - go))
    nwb.add_acquisition(TimeSeries(name="hand_velocity", data=np.concatenate(vv), unit="m/s",
                                   timestamps=np.concatenate(vt)))
    write_nwb(nwb, "reach.nwb", cache_spec=True)

    # Truth for window [-400, 600) ms, 20 ms bins.
    edges = np.arange(-0.4, 0.6 + 1e-12, 0.02)
    centres = (edges[:-1] + edges[1:]) / 2
    fine = 400
    rates = np.zeros((len(LABELS), len(centres), len(UNIT_IDS)))
    emg_exp = np.zeros((len(LABELS), len(centres), 2))
    vel_exp = np.zeros((len(LABELS), len(centres), 1))
    for c, label in enumerate(LABELS):
        angle = TARGETS[label]
        for b in range(len(centres)):
            tau = edges[b] + (np.arange(fine) + 0.5) / fine * 0.02
            for u in range(len(UNIT_IDS)):
                rates[c, b, u] = rate_hz(u, tau, angle, c).mean()
        emg_exp[c] = 1 + np.outer(emg_bump(centres), emg_amplitudes(angle))
        vel_exp[c, :, 0] = np.cos(angle) * centres
    np.savez(path("reach_expected.npz"), rates_hz=rates, emg=emg_exp, hand_velocity=vel_exp,
             angles=np.array([TARGETS[l] for l in LABELS]),
             trials_per_condition=np.bincount(conds).astype(np.int64),
             unit_ids=np.array(UNIT_IDS, dtype=np.int64))


# ---------------------------------------------------------------------------------------------
# The alignment recording: deterministic spikes at go + k * 10 ms.
GO = np.array([10.123456789, 20.987654321, 33.3])
CONDITION = np.array([1.0, 2.0, 1.0])
ALIGN_UNITS = [7, 8, 9]
EMG_RATE_HZ = 50.0
EMG_T = np.arange(0, 35.0, 1 / EMG_RATE_HZ)
ALIGN_EMG = np.stack([2 * EMG_T, 3 - 0.5 * EMG_T], axis=1)


def alignment_spikes():
    unit7 = np.sort(np.concatenate([go + np.arange(-10, 10) * 0.01 for go in GO]))
    unit8 = np.sort(np.concatenate([[go - 0.1, go + 0.05, go + 0.0999, go + 0.1, go + 0.2, go - 0.25] for go in GO]))
    return [unit7, unit8, np.zeros(0)]


def make_alignment_nwb():
    nwb = new_nwb("circuitfit-alignment")
    nwb.add_trial_column(name="go_cue_time", description="go cue (s)")
    nwb.add_trial_column(name="condition", description="condition code")
    for go, c in zip(GO, CONDITION):
        nwb.add_trial(start_time=go - 0.3, stop_time=go + 0.4, go_cue_time=go, condition=c)
    for uid, s in zip(ALIGN_UNITS, alignment_spikes()):
        nwb.add_unit(spike_times=s, id=uid)
    behavior = nwb.create_processing_module("behavior", "behavioural signals")
    behavior.add(TimeSeries(name="emg", data=ALIGN_EMG, unit="a.u.", starting_time=0.0, rate=EMG_RATE_HZ))
    write_nwb(nwb, "alignment.nwb")


def mat_variables():
    spikes = alignment_spikes()
    cell = np.empty((len(spikes),), dtype=object)
    for i, s in enumerate(spikes):
        cell[i] = s.reshape(-1, 1)
    return {
        "spike_times": cell,
        "unit_ids": np.array(ALIGN_UNITS, dtype=np.float64),
        "trials_start_time": GO - 0.3,
        "trials_stop_time": GO + 0.4,
        "trials_go_cue_time": GO,
        "trials_condition": CONDITION,
        "emg": ALIGN_EMG,
        "emg_rate": EMG_RATE_HZ,
        "emg_starting_time": 0.0,
        "matrix_3x4": np.arange(12, dtype=np.float64).reshape(3, 4),
        "counts_int32": np.array([[1, -2, 3]], dtype=np.int32),
        "session_name": "monkey J",
        "trials_subject": "JJJ",
        "meta": {"a": 1.0},
    }


def make_mat_v5():
    scipy.io.savemat(path("recording.mat"), mat_variables(), format="5", do_compression=True, oned_as="row")
    # Uncompressed, so that the mutation test reaches the element parser (zlib's checksum
    # rejects almost every mutation of a compressed file).
    scipy.io.savemat(path("recording_uncompressed.mat"), mat_variables(), format="5", do_compression=False, oned_as="row")


def as_matlab(value):
    """The 2-D array MATLAB holds for `value` as savemat(oned_as='row') gives it."""
    a = np.asarray(value)
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(1, -1)
    return a


def set_class(obj, name):
    obj.attrs.create("MATLAB_class", np.bytes_(name))


def make_mat_v73():
    """MATLAB v7.3 as MATLAB writes it: an m x n array is an HDF5 dataset of shape (n, m)."""
    target = path("recording_v73.mat")
    with h5py.File(target, "w", userblock_size=512) as f:
        refs = f.create_group("#refs#")
        for name, value in mat_variables().items():
            if name == "spike_times":
                cell = as_matlab(value)                      # 1 x M cell
                handles = np.empty(cell.T.shape, dtype=h5py.ref_dtype)
                for i, vector in enumerate(cell[0]):
                    d = refs.create_dataset(f"spikes{i}", data=as_matlab(vector).T)   # N x 1 -> (1, N)
                    set_class(d, "double")
                    handles[i, 0] = d.ref
                d = f.create_dataset(name, data=handles)
                set_class(d, "cell")
            elif name == "meta":
                g = f.create_group(name)
                set_class(g, "struct")
                d = g.create_dataset("a", data=np.array([[1.0]]))
                set_class(d, "double")
            elif isinstance(value, str):
                d = f.create_dataset(name, data=np.array([[ord(ch)] for ch in value], dtype=np.uint16))
                set_class(d, "char")
                d.attrs.create("MATLAB_int_decode", np.int32(2))
            else:
                a = as_matlab(value)
                d = f.create_dataset(name, data=a.T)
                set_class(d, {np.dtype(np.float64): "double", np.dtype(np.int32): "int32"}[a.dtype])
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 12:00:00 2024 HDF5 schema 1.00 ."
    header = header.ljust(116, b" ") + b"\x00" * 8 + b"\x00\x02" + b"IM"
    with open(target, "r+b") as f:
        f.write(header.ljust(512, b"\x00"))


def make_npz():
    spikes = alignment_spikes()
    np.savez(path("recording.npz"),
             spike_times=np.concatenate(spikes),
             spike_times_index=np.cumsum([len(s) for s in spikes]).astype(np.int64),
             unit_ids=np.array(ALIGN_UNITS, dtype=np.int64),
             trials_start_time=GO - 0.3, trials_stop_time=GO + 0.4, trials_go_cue_time=GO,
             trials_condition=CONDITION, emg=ALIGN_EMG, emg_rate=np.float64(EMG_RATE_HZ))


def make_bad_files():
    nwb = new_nwb("circuitfit-no-units")
    nwb.add_trial_column(name="go_cue_time", description="go cue (s)")
    nwb.add_trial(start_time=1.0, stop_time=2.0, go_cue_time=1.5)
    write_nwb(nwb, "no_units.nwb")
    with open(path("not_hdf5.nwb"), "w") as f:
        f.write("this is a text file, not an NWB recording\n")


if __name__ == "__main__":
    make_reach()
    make_alignment_nwb()
    make_mat_v5()
    make_mat_v73()
    make_npz()
    make_bad_files()
    for name in sorted(os.listdir(HERE)):
        print(f"{os.path.getsize(path(name)):>9}  {name}")
