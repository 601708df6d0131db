"""Optional ``xarray`` views of datasets, simulations and comparisons (named dimensions and
coordinates; nothing is computed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict

import numpy as np

if TYPE_CHECKING:
    from .compare import Comparison
    from .dataset import Dataset
    from .fit import Simulation


def _xarray() -> Any:
    try:
        import xarray  # type: ignore[import-not-found]
    except ImportError:
        raise ImportError("to_xarray() needs xarray: pip install xarray") from None
    return xarray


def _condition_coords(dataset: "Dataset") -> Dict[str, Any]:
    c = dataset.inputs.shape[0]
    labels = dataset.arrays.get("conditions")
    coords: Dict[str, Any] = {
        "condition": np.arange(c),
        "time": np.arange(dataset.inputs.shape[1]),
        "t_ms": ("time", dataset.t_ms),
        "angle": ("condition", dataset.angles),
        "train": ("condition", dataset.train),
    }
    if labels is not None:
        coords["label"] = ("condition", labels)
    return coords


def dataset_to_xarray(dataset: "Dataset") -> Any:
    xr = _xarray()
    dims = ("condition", "time")
    variables: Dict[str, Any] = {
        "inputs": (dims + ("input",), dataset.inputs),
        "targets": (dims + ("output",), dataset.targets),
    }
    for name in ("rates", "recorded"):
        values = dataset.arrays.get(name)
        if values is not None:
            variables[name] = (dims + ("unit",), values)
    coords = _condition_coords(dataset)
    ids = dataset.arrays.get("neuron_ids")
    if ids is not None:
        coords["neuron_id"] = ("unit", ids)
    attrs = {"dt_ms": dataset.dt_ms, "go_index": dataset.go_index, "source": str(dataset.path)}
    return xr.Dataset(variables, coords=coords, attrs=attrs)


def simulation_to_xarray(simulation: "Simulation") -> Any:
    xr = _xarray()
    dims = ("condition", "time")
    variables = {
        "rates": (dims + ("unit",), simulation.rates),
        "outputs": (dims + ("output",), simulation.outputs),
        "targets": (dims + ("output",), simulation.dataset.targets),
        "recorded_predictions": (dims + ("recorded",), simulation.recorded_predictions),
    }
    coords = _condition_coords(simulation.dataset)
    coords["t_ms"] = ("time", simulation.t_ms)
    coords["recorded_neuron"] = ("recorded", simulation.recorded_neurons)
    return xr.Dataset(variables, coords=coords, attrs={"dataset": str(simulation.dataset.path)})


def comparison_to_xarray(comparison: "Comparison") -> Any:
    xr = _xarray()
    k = len(comparison.canonical_correlations)
    variables = {
        "cca_mean": comparison.cca_mean,
        "canonical_correlations": (("component",), comparison.canonical_correlations),
        "procrustes_distance": comparison.procrustes_distance,
        "procrustes_angular_distance": comparison.procrustes_angular_distance,
        "dsa_angular_distance": np.nan if comparison.dsa_angular_distance is None else comparison.dsa_angular_distance,
    }
    attrs = {key: comparison.raw[key] for key in ("samples", "components_a", "components_b")}
    return xr.Dataset(variables, coords={"component": np.arange(1, k + 1)}, attrs=attrs)
