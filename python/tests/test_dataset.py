import numpy as np
import pytest

import circuitfit as cf


def test_from_arrays_writes_the_documented_layout(circuit: cf.Circuit) -> None:
    ds = circuit.dataset
    recorded = ds.rates[:, :, :6] + 5.0
    mine = cf.Dataset.from_arrays(inputs=ds.inputs, targets=ds.targets, recorded=recorded, train=ds.train,
                                  dt_ms=ds.dt_ms, go_index=ds.go_index, angles=ds.angles)
    with np.load(mine.path) as f:
        assert set(f.files) == {"inputs", "targets", "recorded", "train", "angles", "dt_ms", "go_index"}
        assert f["train"].dtype == np.int64 and set(np.unique(f["train"])) == {0, 1}
        assert f["dt_ms"].shape == () and f["dt_ms"].dtype == np.float64 and f["go_index"].dtype == np.int64
        np.testing.assert_array_equal(f["recorded"], recorded)
    fit = cf.train(mine, record=3, lam=1, seed=2, hidden=10, iterations=10, progress=False)
    assert set(fit.recorded_neurons) <= set(range(6))
    assert fit.metrics["population"] == "recorded" and fit.metrics["population_neurons"] == 6


def test_from_arrays_checks_the_layout() -> None:
    u, z = np.zeros((4, 10, 2)), np.zeros((4, 10, 1))
    with pytest.raises(ValueError, match="recorded has shape"):
        cf.Dataset.from_arrays(inputs=u, targets=z, recorded=np.zeros((3, 10, 5)))
    with pytest.raises(ValueError, match="exactly one of"):
        cf.Dataset.from_arrays(inputs=u, targets=z)
    with pytest.raises(ValueError, match=r"train has shape \(3,\)"):
        cf.Dataset.from_arrays(inputs=u, targets=z, recorded=np.zeros((4, 10, 5)), train=[1, 1, 0])


def test_the_binary_rejects_what_the_layout_allows(tmp_path) -> None:
    rng = np.random.default_rng(0)
    mine = cf.Dataset.from_arrays(inputs=rng.normal(size=(4, 10, 2)), targets=rng.normal(size=(4, 10, 1)),
                                  recorded=rng.normal(size=(4, 10, 5)), train=np.zeros(4), path=tmp_path / "d.npz")
    assert mine.path == tmp_path / "d.npz"
    with pytest.raises(cf.CircuitFitError) as raised:
        cf.train(mine, record=2, iterations=5, progress=False)
    assert "d.npz" in raised.value.message and raised.value.exit_status == 1


def test_dataset_to_xarray_names_dimensions(circuit: cf.Circuit) -> None:
    xr = pytest.importorskip("xarray")
    x = circuit.dataset.to_xarray()
    assert isinstance(x, xr.Dataset)
    assert x["rates"].dims == ("condition", "time", "unit")
    np.testing.assert_allclose(x["t_ms"].values, circuit.dataset.t_ms)
    np.testing.assert_array_equal(x["angle"].values, circuit.dataset.angles)
