"""CircuitFit's similarity metrics for any two populations: ``circuitfit compare``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from . import _files
from ._files import ScratchFolder
from ._runner import options, path_text, run

#: Dimension names ``compare`` understands on an ``xarray.DataArray``, in the order it needs.
TRIAL_DIMS = ("condition", "time", "unit")


@dataclass
class Comparison:
    """The scores of ``compare`` (docs/files.md#compare); higher CCA is more similar, lower
    distances are. ``raw`` is the whole JSON object the binary printed."""

    cca_mean: float
    canonical_correlations: np.ndarray
    procrustes_distance: float
    procrustes_angular_distance: float
    #: DSA angular distance (rad) with the conditions as trials; None for [samples, units]
    #: arrays, with ``no_dsa``, or when the data are too short for its settings (``dsa_skipped`` says why).
    dsa_angular_distance: Optional[float]
    dsa_skipped: Optional[str]
    samples: int
    components_a: int
    components_b: int
    raw: Dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, raw: Dict[str, Any]) -> "Comparison":
        return cls(
            cca_mean=raw["cca_mean"],
            canonical_correlations=np.asarray(raw["canonical_correlations"], dtype=float),
            procrustes_distance=raw["procrustes_distance"],
            procrustes_angular_distance=raw["procrustes_angular_distance"],
            dsa_angular_distance=raw.get("dsa_angular_distance"),
            dsa_skipped=raw.get("dsa_skipped"),
            samples=raw["samples"],
            components_a=raw["components_a"],
            components_b=raw["components_b"],
            raw=raw,
        )

    def to_xarray(self) -> Any:
        """The scores as an ``xarray.Dataset`` (``canonical_correlations`` along ``component``).
        Needs xarray."""
        from ._xarray import comparison_to_xarray

        return comparison_to_xarray(self)


def compare(
    x: Any,
    y: Any,
    components: Optional[int] = None,
    conditions: Optional[Sequence[int]] = None,
    no_dsa: bool = False,
    threads: Optional[int] = None,
    progress: Optional[bool] = False,
) -> Comparison:
    """Scores how similar two populations are with exactly CircuitFit's metrics.

    ``x`` and ``y`` are [conditions, time, units] or [samples, units] arrays (NumPy arrays,
    ``xarray.DataArray`` with dims ``condition, time, unit`` in any order, or paths of ``.npy`` /
    ``.npz`` files); the units may differ, the conditions and time steps (or samples) must match.
    Each is reduced to its top ``components`` PCs (default 10, as ``evaluate``), then CCA
    (mean and every canonical correlation) and Procrustes (shape and angular distance) are
    computed by ``circuitfit compare``; for 3-D arrays also DSA (dynamical similarity analysis,
    the conditions as trials; ``no_dsa=True`` skips it). ``conditions`` picks conditions of 3-D
    arrays.
    """
    scratch = ScratchFolder("compare")
    a = _population_file(x, scratch.path / "a.npy")
    b = _population_file(y, scratch.path / "b.npy")
    arguments = ["compare", a, b, "--json",
                 *options(components=components, conditions=list(conditions) if conditions is not None else None,
                          no_dsa=no_dsa, threads=threads)]
    return Comparison.from_json(_files.parse_json(run(arguments, progress=progress)))


def _population_file(value: Any, target: Path) -> str:
    if isinstance(value, (str, Path)) or isinstance(value, os.PathLike):
        return path_text(value)
    array = _as_trials(value)
    np.save(target, np.ascontiguousarray(array, dtype=np.float64))
    return str(target)


def _as_trials(value: Any) -> np.ndarray:
    dims: List[str] = list(getattr(value, "dims", ()))
    if dims and set(TRIAL_DIMS) <= set(dims) and len(dims) == 3:
        return np.asarray(value.transpose(*TRIAL_DIMS).values)
    if dims and hasattr(value, "values"):
        return np.asarray(value.values)
    return np.asarray(value)
