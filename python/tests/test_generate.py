import numpy as np
import pytest

import circuitfit as cf
from conftest import NEURONS


def test_generate_returns_the_files_arrays(circuit: cf.Circuit) -> None:
    ds = circuit.dataset
    assert ds.rates is not None and ds.rates.shape == (16, 120, NEURONS)
    assert ds.inputs.shape == (16, 120, 3) and ds.targets.shape == (16, 120, 3)
    assert ds.train.dtype == bool and ds.train.sum() == 8
    assert ds.dt_ms == 5.0 and ds.go_index == 20
    np.testing.assert_allclose(ds.t_ms[:3], [0.0, 5.0, 10.0])
    assert circuit.W.shape == (NEURONS, NEURONS)
    assert circuit.excitatory.sum() == NEURONS // 2
    assert circuit.config["seed"] == 1 and circuit.config["config"]["neurons"] == NEURONS
    assert circuit.summary["neurons"] == NEURONS
    # the dataset's targets are the circuit's readout of its rates (docs/files.md#circuitnpz)
    readout = ds.rates @ circuit.readout.T + circuit.arrays["readout_bias"]
    np.testing.assert_allclose(readout, ds.targets, rtol=1e-9, atol=1e-9)


def test_same_seed_same_circuit_other_seed_another(circuit: cf.Circuit) -> None:
    again = cf.generate(seed=1, neurons=NEURONS, progress=False)
    other = cf.generate(seed=2, neurons=NEURONS, progress=False)
    assert np.array_equal(again.W, circuit.W)
    assert not np.array_equal(other.W, circuit.W)


def test_generate_config_dict_reaches_the_binary() -> None:
    two = cf.generate(seed=1, neurons=NEURONS, config={"muscles": 2}, progress=False)
    assert two.config["config"]["muscles"] == 2
    assert two.dataset.targets.shape == (16, 120, 2) and two.readout.shape == (2, NEURONS)


def test_generate_bad_input_raises_the_binarys_message() -> None:
    with pytest.raises(cf.CircuitFitError) as raised:
        cf.generate(neurons=1, progress=False)
    assert raised.value.exit_status == 1
    assert "neurons must be at least 4, got 1" in raised.value.message
    assert "\n" not in raised.value.message


def test_scratch_folder_lives_as_long_as_the_circuit() -> None:
    import gc

    temporary = cf.generate(seed=1, neurons=NEURONS, progress=False)
    folder = temporary.path
    assert (folder / "circuit.npz").is_file()
    del temporary
    gc.collect()
    assert not folder.exists()
