import numpy as np
import pytest

import circuitfit as cf


def test_compare_reproduces_evaluates_similarities(fit: cf.Fit) -> None:
    """The same metrics as `evaluate`: the model's rates against the circuit's on the fit
    conditions give metrics.json's numbers exactly."""
    conditions = fit.model["fit_conditions"]
    scores = cf.compare(fit.rates, fit.dataset.rates, conditions=conditions)
    assert scores.cca_mean == fit.metrics["cca_mean"]
    np.testing.assert_array_equal(scores.canonical_correlations, fit.metrics["canonical_correlations"])
    assert scores.procrustes_distance == fit.metrics["procrustes_distance"]
    assert scores.procrustes_angular_distance == fit.metrics["procrustes_angular_distance"]
    assert scores.samples == len(conditions) * 120


def test_compare_known_answers() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=(6, 40, 12)) @ rng.normal(size=(12, 12))
    rotation, _ = np.linalg.qr(rng.normal(size=(12, 12)))
    same = cf.compare(x, 3.0 * x @ rotation)  # a scaled rotation: the same shape
    assert same.cca_mean == pytest.approx(1.0, abs=1e-9)
    assert same.procrustes_distance == pytest.approx(0.0, abs=1e-6)
    assert same.dsa_angular_distance == pytest.approx(0.0, abs=1e-4) and same.dsa_skipped is None
    noise = cf.compare(x, rng.normal(size=(6, 40, 9)))
    assert noise.cca_mean < 0.6 and noise.procrustes_angular_distance > 0.5
    flat = cf.compare(x.reshape(240, 12), (x @ rotation).reshape(240, 12), components=5)
    assert flat.components_a == 5 and flat.cca_mean == pytest.approx(1.0, abs=1e-9)
    assert flat.dsa_angular_distance is None and "no trials" in flat.dsa_skipped
    assert cf.compare(x, x, no_dsa=True).dsa_skipped == "--no-dsa"


def test_compare_reads_files_and_named_dimensions(tmp_path) -> None:
    xr = pytest.importorskip("xarray")
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(4, 30, 8)), rng.normal(size=(4, 30, 6))
    plain = cf.compare(x, y)
    np.save(tmp_path / "x.npy", x)
    assert cf.compare(tmp_path / "x.npy", y).raw["cca_mean"] == plain.cca_mean
    labelled = xr.DataArray(y.transpose(2, 0, 1), dims=("unit", "condition", "time"))
    assert cf.compare(x, labelled).cca_mean == plain.cca_mean
    table = plain.to_xarray()
    assert table["canonical_correlations"].dims == ("component",)
    assert float(table["cca_mean"]) == plain.cca_mean


def test_compare_refuses_unpaired_samples() -> None:
    with pytest.raises(cf.CircuitFitError) as raised:
        cf.compare(np.zeros((4, 30, 8)), np.ones((4, 20, 8)))
    assert "[4, 30, 8]" in raised.value.message and "[4, 20, 8]" in raised.value.message
    assert raised.value.exit_status == 1
