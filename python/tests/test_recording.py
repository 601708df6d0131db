import numpy as np

import circuitfit as cf


def write_recording(path) -> None:
    """A recording in import's NPZ layout (docs/files.md#recordings-import-reads): 3 units, 8
    trials of 4 conditions; unit u fires once, 100 + 40·u ms after each trial's go cue."""
    trials = 8
    start = np.arange(trials) * 2.0
    go = start + 0.5
    trains = [np.sort(go + 0.100 + 0.040 * u) for u in range(3)]
    np.savez(
        path,
        spike_times=np.concatenate(trains),
        spike_times_index=np.cumsum([len(t) for t in trains]),
        unit_ids=np.array([7, 8, 9]),
        trials_start_time=start,
        trials_stop_time=start + 1.5,
        trials_go_cue_time=go,
        trials_condition=np.arange(trials) % 4,
    )


def test_import_recording_bins_the_spikes_as_asked(tmp_path) -> None:
    write_recording(tmp_path / "session.npz")
    ds = cf.import_recording(tmp_path / "session.npz", out=tmp_path / "data.npz", condition_column="condition",
                             align_to="go_cue_time", window_ms=(-200, 400), bin_ms=20, held_out=[3], progress=False)
    assert ds.path == tmp_path / "data.npz"
    assert ds.recorded is not None and ds.recorded.shape == (4, 30, 3)  # 600 ms in 20 ms bins
    for u in range(3):
        spike_bin = (200 + 100 + 40 * u) // 20
        expected = np.zeros(30)
        expected[spike_bin] = 1 / 0.020  # one spike in a 20 ms bin, in every trial: 50 Hz
        np.testing.assert_allclose(ds.recorded[:, :, u], np.tile(expected, (4, 1)))
    np.testing.assert_array_equal(ds.arrays["neuron_ids"], [7, 8, 9])
    np.testing.assert_array_equal(ds.train, [True, True, True, False])
    assert ds.dt_ms == 20.0
    assert ds.provenance is not None and ds.provenance["provenance"]["format"] == "NPZ"


def test_import_recording_error_names_the_column(tmp_path) -> None:
    write_recording(tmp_path / "session.npz")
    try:
        cf.import_recording(tmp_path / "session.npz", condition_column="no_such_column", progress=False)
    except cf.CircuitFitError as error:
        assert "no_such_column" in error.message and error.exit_status == 1
    else:
        raise AssertionError("import accepted a missing condition column")
