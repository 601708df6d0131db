"""The paper's experiment: ``circuitfit experiment`` (docs/files.md#experiment)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from . import _files
from ._files import PathLike
from ._runner import options, path_text, run
from .dataset import Dataset
from .fit import Fit

Numbers = Union[float, Sequence[float]]


class Experiment:
    """An experiment folder: its plan, results, claims and report.

    ``results`` is results.csv as a list of rows (dicts: numbers as int/float, empty cells as
    None), ``claims`` is claims.json, ``plan`` experiment.json, ``report`` the path of
    report.html; ``fit(id)`` opens one fit's folder (``fits/<id>/``).
    """

    def __init__(self, path: PathLike) -> None:
        self.path = Path(path).expanduser().absolute()
        if not (self.path / "experiment.json").is_file():
            raise FileNotFoundError(f"{self.path}: no experiment.json (not an experiment folder)")

    @property
    def plan(self) -> Dict[str, Any]:
        """``experiment.json``: seeds, recordCounts, lambdas, arms, fit and circuit configs."""
        return _files.read_json(self.path / "experiment.json")

    @property
    def results(self) -> List[Dict[str, Any]]:
        """``results.csv``: one row per seed × arm × M × λ (docs/files.md#resultscsv)."""
        return _files.read_csv(self.path / "results.csv")

    @property
    def claims(self) -> Dict[str, Any]:
        """``claims.json``: each claim, its paired differences, Wilcoxon test and verdict."""
        return _files.read_json(self.path / "claims.json")

    @property
    def report(self) -> Path:
        """The path of ``report.html``."""
        return self.path / "report.html"

    @property
    def fit_ids(self) -> List[str]:
        """The ids of the finished fits (folders of ``fits/`` holding a model)."""
        fits = self.path / "fits"
        return sorted(p.name for p in fits.iterdir() if (p / "model.npz").is_file()) if fits.is_dir() else []

    def fit(self, fit_id: str) -> Fit:
        """One finished fit of the experiment, e.g. ``exp.fit("s1-plain-l1-m20")``; its
        ``dataset`` is the one it was fitted to (the plan's dataset, or its seed's circuit)."""
        folder = self.path / "fits" / fit_id
        fit = Fit(folder)
        plan = self.plan
        if plan.get("dataset"):
            fit._dataset = Dataset.load(plan["dataset"])
        else:
            seed = _files.read_json(folder / "result.json")["unit"]["seed"]
            circuit = "shared" if plan.get("sharedCircuit") else f"seed-{seed}"
            fit._dataset = Dataset.load(self.path / "circuits" / circuit / "dataset.npz")
        return fit

    def status(self) -> str:
        """What ``circuitfit status DIR`` prints: fits done, running, pending, failed."""
        return run(["status", path_text(self.path)], progress=False)

    def __repr__(self) -> str:
        return f"Experiment({str(self.path)!r}: {len(self.fit_ids)} fits done)"


def experiment(
    out: PathLike,
    seeds: Optional[int] = None,
    record: Optional[Sequence[int]] = None,
    lam: Optional[Numbers] = None,
    arms: Optional[Sequence[str]] = None,
    jobs: Optional[int] = None,
    iterations: Optional[int] = None,
    dataset: Any = None,
    shared_circuit: bool = False,
    neurons: Optional[int] = None,
    circuit_config: Union[Mapping[str, Any], PathLike, None] = None,
    resume: bool = False,
    progress: Optional[bool] = True,
    **fit_options: Any,
) -> Experiment:
    """Runs (or resumes, or extends) the experiment in folder ``out`` (``circuitfit experiment``).

    ``seeds`` K (seeds 1…K, default 10), ``record`` the M values (default 0,2,5,10,20,50,100,200),
    ``lam`` the λ values (default 0,1), ``arms`` ("plain", "priors"), ``jobs`` fits at once
    (default: the number of cores), ``iterations`` exact optimiser steps per fit. ``dataset``
    (a Dataset or path) replaces the generated circuits; ``shared_circuit`` uses one circuit
    for all seeds; ``neurons`` and ``circuit_config`` set the generated circuits. Any other
    keyword is one of ``train``'s fit options (``hidden=50``, ``learning_rate=0.01``, …).
    Raises CircuitFitError when fits failed (the others' results are written: open them with
    ``Experiment(out)``).
    """
    folder = Path(out).expanduser().absolute()
    lambdas = [lam] if isinstance(lam, (int, float)) else lam
    dataset_path = None
    if dataset is not None:
        dataset_path = path_text(getattr(dataset, "path", dataset))
    with _files.json_argument(circuit_config) as circuit_file:
        run(
            ["experiment", "--out", str(folder),
             *options(seeds=seeds, record=list(record) if record is not None else None,
                      arms=list(arms) if arms is not None else None, jobs=jobs, iterations=iterations,
                      dataset=dataset_path, shared_circuit=shared_circuit, neurons=neurons,
                      circuit_config=circuit_file, resume=resume, **fit_options),
             *(["--lambda", ",".join(str(v) for v in lambdas)] if lambdas is not None else [])],
            progress=progress,
        )
    return Experiment(folder)
