"""Fitting a model RNN (``circuitfit train``), and what a fit holds: parameters, metrics,
history, simulations, evaluation and the mechanism audit."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Sequence, Union

import numpy as np

from . import _files
from ._files import PathLike, ScratchFolder
from ._runner import options, path_text, run
from .dataset import Dataset, as_dataset

DatasetLike = Union[Dataset, PathLike, Any]


class Simulation:
    """A fitted model run noise-free on a dataset's inputs (``circuitfit simulate``).

    ``rates`` [C,T,H] = tanh of the state, ``outputs`` [C,T,K], ``recorded_predictions``
    [C,T,M] (the model's prediction of each recorded neuron, in the dataset's units), ``t_ms``
    [T] and ``recorded_neurons`` [M] (their indices into the dataset's neurons).
    """

    def __init__(self, arrays: Dict[str, np.ndarray], dataset: Dataset) -> None:
        self.arrays = arrays
        self.dataset = dataset
        self.rates: np.ndarray = arrays["rates"]
        self.outputs: np.ndarray = arrays["outputs"]
        self.recorded_predictions: np.ndarray = arrays["recorded_predictions"]
        self.t_ms: np.ndarray = arrays["t_ms"]
        self.recorded_neurons: np.ndarray = arrays["recorded_neurons"]

    def to_xarray(self) -> Any:
        """An ``xarray.Dataset``: rates (condition, time, unit), outputs (condition, time, output),
        recorded_predictions (condition, time, recorded), targets from the dataset, coords t_ms,
        angle, train, label. Needs xarray."""
        from ._xarray import simulation_to_xarray

        return simulation_to_xarray(self)

    def __repr__(self) -> str:
        return f"Simulation(rates {self.rates.shape}, outputs {self.outputs.shape})"


class Fit:
    """A fitted model: the folder ``train`` wrote (or an experiment's ``fits/<id>/``).

    Parameters as arrays (``J`` [H,H], ``B`` [H,I], ``b`` [H], ``C`` [K,H], ``d`` [K], ``h0``
    [H], ``alpha``), every array of ``model.npz`` in ``model``, ``metrics`` (metrics.json),
    ``config`` (config.json), ``history`` (history.csv, one array per column). ``rates`` and
    ``outputs`` simulate the model on the dataset it was fitted to.
    """

    def __init__(self, path: PathLike, scratch: Optional[ScratchFolder] = None, dataset: Optional[Dataset] = None) -> None:
        self.path = Path(path).expanduser().absolute()
        if not (self.path / "model.npz").is_file():
            raise FileNotFoundError(f"{self.path}: no model.npz (not a folder written by train)")
        self._scratch = scratch
        self._dataset = dataset
        self._model: Optional[Dict[str, np.ndarray]] = None
        self._simulation: Optional[Simulation] = None

    # files

    @property
    def model(self) -> Dict[str, np.ndarray]:
        """Every array of ``model.npz`` (docs/files.md#modelnpz)."""
        if self._model is None:
            self._model = _files.read_npz(self.path / "model.npz")
        return self._model

    @property
    def J(self) -> np.ndarray:
        """Recurrent weights [H,H] as used (under Dale's law the effective signed J)."""
        return self.model["J"]

    @property
    def B(self) -> np.ndarray:
        """Input weights [H,I]."""
        return self.model["B"]

    @property
    def b(self) -> np.ndarray:
        """Recurrent bias [H]."""
        return self.model["b"]

    @property
    def C(self) -> np.ndarray:
        """Output readout [K,H]."""
        return self.model["C"]

    @property
    def d(self) -> np.ndarray:
        """Output bias [K]."""
        return self.model["d"]

    @property
    def h0(self) -> np.ndarray:
        """Initial state [H]."""
        return self.model["h0"]

    @property
    def alpha(self) -> float:
        """α = dt/τ."""
        return float(self.model["alpha"])

    @property
    def recorded_neurons(self) -> np.ndarray:
        """Indices of the recorded neurons into the dataset's neurons [M]."""
        return self.model["recorded_neurons"]

    @property
    def metrics(self) -> Dict[str, Any]:
        """``metrics.json``: the scores ``train`` computed (``None`` = undefined)."""
        return _files.read_json(self.path / "metrics.json")

    @property
    def config(self) -> Dict[str, Any]:
        """``config.json`` (or an experiment fit's ``result.json``)."""
        for name in ("config.json", "result.json"):
            if (self.path / name).is_file():
                return _files.read_json(self.path / name)
        raise FileNotFoundError(f"{self.path}: neither config.json nor result.json")

    @property
    def history(self) -> Dict[str, np.ndarray]:
        """``history.csv``: iteration, loss_total, loss_task, loss_neural, loss_validation, seconds."""
        return _files.csv_columns(self.path / "history.csv")

    @property
    def dataset(self) -> Dataset:
        """The dataset this model was fitted to (from ``config.json``'s ``dataset``)."""
        if self._dataset is None:
            recorded = self.config.get("dataset")
            if not recorded:
                raise ValueError(f"{self.path}: config.json names no dataset; pass one to simulate()/evaluate()")
            self._dataset = Dataset.load(recorded)
        return self._dataset

    # running the binary on this fit

    def simulate(self, dataset: Optional[DatasetLike] = None, progress: Optional[bool] = False) -> Simulation:
        """Runs the model noise-free on ``dataset``'s inputs (default: the dataset it was fitted
        to) with ``circuitfit simulate``, and returns its rates and outputs as arrays."""
        data = self.dataset if dataset is None else as_dataset(dataset)
        scratch = ScratchFolder("simulate")
        out = scratch.path / "simulate.npz"
        run(["simulate", path_text(self.path), path_text(data.path), "--out", str(out)], progress=progress)
        return Simulation(_files.read_npz(out), data)

    @property
    def rates(self) -> np.ndarray:
        """The model's rates [C,T,H] on the dataset it was fitted to."""
        return self._own_simulation().rates

    @property
    def outputs(self) -> np.ndarray:
        """The model's outputs [C,T,K] on the dataset it was fitted to."""
        return self._own_simulation().outputs

    def _own_simulation(self) -> Simulation:
        if self._simulation is None:
            self._simulation = self.simulate()
        return self._simulation

    def evaluate(
        self,
        dataset: Optional[DatasetLike] = None,
        reference: Optional[DatasetLike] = None,
        circuit: Any = None,
        audit: bool = True,
        threads: Optional[int] = None,
        progress: Optional[bool] = False,
    ) -> Dict[str, Any]:
        """Scores the model on ``dataset`` (default: its own) with ``circuitfit evaluate --json``:
        a dict with the keys of metrics.json (docs/files.md#metricsjson), plus ``audit`` (the
        mechanism audit, or None) when the ground truth is known: ``circuit`` (a Circuit or a
        ``generate`` folder), else the dataset's own folder when it holds circuit.npz;
        ``audit=False`` skips it. ``reference`` is a generated dataset (or Circuit) whose full
        population the similarities are against."""
        data = self.dataset if dataset is None else as_dataset(dataset)
        arguments = ["evaluate", path_text(self.path), path_text(data.path), "--json",
                     *options(no_audit=not audit, threads=threads)]
        if reference is not None:
            arguments += ["--reference", path_text(as_dataset(reference).path)]
        if circuit is not None:
            arguments += ["--circuit", path_text(getattr(circuit, "path", circuit))]
        return _files.parse_json(run(arguments, progress=progress))

    def audit(
        self,
        circuit: Any,
        seed: Optional[int] = None,
        stimulus_hz: Optional[float] = None,
        threads: Optional[int] = None,
        progress: Optional[bool] = True,
    ) -> Dict[str, Any]:
        """The mechanism audit against the ground-truth circuit (``circuitfit audit --json``):
        fixed points, spectra, DSA, perturbation predictions (docs/files.md#audit). ``circuit``
        is a Circuit or a folder written by ``generate``."""
        folder = getattr(circuit, "path", circuit)
        arguments = ["audit", path_text(self.path), path_text(folder), "--json",
                     *options(seed=seed, stimulus_hz=stimulus_hz, threads=threads)]
        return _files.parse_json(run(arguments, progress=progress))

    def __repr__(self) -> str:
        j = self.J.shape
        return f"Fit({str(self.path)!r}: H = {j[0]}, M = {len(self.recorded_neurons)})"


def load_fit(path: PathLike) -> Fit:
    """The fit in a folder ``train`` wrote (or an experiment's ``fits/<id>/``)."""
    return Fit(path)


def train(
    dataset: DatasetLike,
    record: Optional[int] = None,
    lam: Union[float, str, None] = None,
    seed: Optional[int] = None,
    out: Optional[PathLike] = None,
    neurons: Optional[Sequence[int]] = None,
    iterations: Optional[int] = None,
    hidden: Optional[int] = None,
    mapping: Optional[str] = None,
    learning_rate: Optional[float] = None,
    beta_rate: Optional[float] = None,
    beta_weights: Optional[float] = None,
    dale: bool = False,
    excitatory_only: bool = False,
    noise: Optional[float] = None,
    validation: Optional[int] = None,
    exclude: Optional[int] = None,
    fit_config: Union[Mapping[str, Any], PathLike, None] = None,
    threads: Optional[int] = None,
    progress: Optional[bool] = True,
) -> Fit:
    """Fits a model RNN to ``dataset`` (``circuitfit train``; docs/files.md#train).

    ``dataset`` is a Dataset, a Circuit or a dataset ``.npz`` path. ``record`` is M, the number
    of recorded neurons drawn with ``seed`` (default 20; 0 = task-only), or give ``neurons``
    (indices); ``lam`` is λ, the weight of the neural term (default 1), or ``"auto"``;
    ``iterations`` the exact number of optimiser steps (default: up to 5000 with early
    stopping). The other options are ``train``'s (``hidden`` H, ``mapping`` "identity" or
    "linear", ``learning_rate``, ``beta_rate``, ``beta_weights``, ``dale``,
    ``excitatory_only``, ``noise``, ``validation``, ``exclude``; ``fit_config`` a dict of
    FitConfig fields or a JSON file). Results go to ``out`` (default: a temporary folder that
    lives as long as the returned Fit). Progress is shown while it trains.
    """
    data = as_dataset(dataset)
    folder, scratch = _files.output_folder(out, "fit")
    with _files.json_argument(fit_config) as config_file:
        run(
            ["train", path_text(data.path), "--out", path_text(folder),
             *options(record=record, neurons=list(neurons) if neurons is not None else None, seed=seed,
                      iterations=iterations, hidden=hidden, mapping=mapping, learning_rate=learning_rate,
                      beta_rate=beta_rate, beta_weights=beta_weights, dale=dale, excitatory_only=excitatory_only,
                      noise=noise, validation=validation, exclude=exclude, fit_config=config_file, threads=threads),
             *(["--lambda", str(lam)] if lam is not None else [])],
            progress=progress,
        )
    return Fit(folder, scratch, data)
