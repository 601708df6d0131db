import numpy as np
import pytest

import circuitfit as cf
from conftest import NEURONS, binary_has_command


def numpy_rates(fit: cf.Fit, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The model equations of docs/files.md#modelnpz in NumPy (float64): a witness, not the product."""
    m = fit.model
    c, t_steps, _ = inputs.shape
    h = np.tile(m["h0"], (c, 1))
    rates = np.zeros((c, t_steps, m["J"].shape[0]))
    outputs = np.zeros((c, t_steps, m["C"].shape[0]))
    for t in range(t_steps):
        r = np.tanh(h)
        rates[:, t], outputs[:, t] = r, r @ m["C"].T + m["d"]
        h = (1 - m["alpha"]) * h + m["alpha"] * (r @ m["J"].T + inputs[:, t] @ m["B"].T + m["b"])
    return rates, outputs


def test_train_exposes_parameters_history_and_metrics(fit: cf.Fit) -> None:
    assert fit.J.shape == (NEURONS, NEURONS) and fit.B.shape == (NEURONS, 3) and fit.C.shape == (3, NEURONS)
    assert fit.b.shape == (NEURONS,) and fit.d.shape == (3,) and fit.h0.shape == (NEURONS,)
    assert 0 < fit.alpha <= 1
    assert len(fit.recorded_neurons) == 5 and set(fit.recorded_neurons) <= set(range(NEURONS))
    history = fit.history
    np.testing.assert_array_equal(history["iteration"], np.arange(1, 101))
    assert history["loss_total"][-1] < history["loss_total"][0]
    assert fit.config["config"]["iterations"] == 100 and fit.config["config"]["lambda"] == 1
    assert 0 <= fit.metrics["cca_mean"] <= 1


def test_rates_and_outputs_are_the_models_simulation(fit: cf.Fit, circuit: cf.Circuit) -> None:
    rates, outputs = numpy_rates(fit, circuit.dataset.inputs)
    assert fit.rates.shape == (16, 120, NEURONS) and fit.outputs.shape == (16, 120, 3)
    np.testing.assert_allclose(fit.rates, rates, atol=2e-5)  # the binary runs in Float32
    np.testing.assert_allclose(fit.outputs, outputs, atol=2e-5)
    sim = fit.simulate(circuit)
    np.testing.assert_array_equal(sim.rates, fit.rates)
    # the identity mapping predicts a recorded neuron by its unit's rate, un-normalised
    units = fit.model["recorded_units"].astype(int)
    expected = fit.model["neuron_offset"] + fit.model["neuron_scale"] * sim.rates[:, :, units]
    np.testing.assert_allclose(sim.recorded_predictions, expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(sim.t_ms, np.arange(120) * 5.0)


def test_evaluate_on_its_own_dataset_reproduces_metrics_json(fit: cf.Fit, circuit: cf.Circuit) -> None:
    scores = fit.evaluate(circuit.dataset, audit=False)
    assert scores.pop("audit", None) is None
    assert scores == fit.metrics
    assert set(scores) >= {"cca_mean", "procrustes_angular_distance", "heldout_neuron_r2", "untrained"}
    if binary_has_command("audit"):  # the ground truth is beside the dataset: evaluate audits too
        audited = fit.evaluate(circuit.dataset)
        assert {k: v for k, v in audited.items() if k != "audit"} == fit.metrics
        assert audited["audit"]["dsa_angular_distance"] == fit.audit(circuit, progress=False)["dsa_angular_distance"]


def test_load_fit_reads_the_same_folder(fit: cf.Fit) -> None:
    again = cf.load_fit(fit.path)
    assert np.array_equal(again.J, fit.J)
    with pytest.raises(FileNotFoundError):
        cf.load_fit(fit.path / "nowhere")


def test_train_bad_input_keeps_the_message_and_status(circuit: cf.Circuit) -> None:
    with pytest.raises(cf.CircuitFitError) as raised:
        cf.train(circuit, record=500, progress=False)
    assert raised.value.exit_status == 1
    assert raised.value.message == f"cannot record M = 500 neurons: the dataset has {NEURONS} (circuit neurons in 'rates')"


def test_usage_error_has_status_64(circuit: cf.Circuit) -> None:
    with pytest.raises(cf.CircuitFitError) as raised:
        cf.run(["train", str(circuit.dataset.path), "--out", "unused", "--no-such-option"], progress=False)
    assert raised.value.exit_status == 64
    assert "--no-such-option" in raised.value.message


def test_lambda_auto_and_fit_config_reach_the_binary(circuit: cf.Circuit) -> None:
    fit = cf.train(circuit, record=4, lam=0.5, seed=3, hidden=10, iterations=20,
                   fit_config={"learningRate": 0.01}, progress=False)
    config = fit.config["config"]
    assert config["lambda"] == 0.5 and config["seed"] == 3 and config["learningRate"] == 0.01
    assert config["hidden"] == 10


@pytest.mark.skipif(not binary_has_command("audit"), reason="this binary has no `audit` command (CircuitFitAudit not built in)")
def test_audit_against_the_circuit(fit: cf.Fit, circuit: cf.Circuit) -> None:
    audit = fit.audit(circuit, progress=False)
    assert 0 <= audit["dsa_angular_distance"] <= np.pi / 2
    again = fit.audit(circuit.path, progress=False)
    audit.pop("seconds"), again.pop("seconds")
    assert again == audit  # seeded: the same audit twice, but its wall time
