"""Datasets: the ``.npz`` layout every CircuitFit command reads (docs/files.md#datasetnpz)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Optional

import numpy as np

from . import _files
from ._files import PathLike


class Dataset:
    """A CircuitFit dataset file and its arrays.

    Arrays (C conditions, T time steps, I inputs, K outputs, N neurons): ``inputs`` [C,T,I],
    ``targets`` [C,T,K], ``rates`` [C,T,N] (generated: every circuit neuron, Hz relative to
    baseline) or ``recorded`` [C,T,M] (imported: Hz, NaN = missing), ``train`` [C] (True =
    training condition), ``angles`` [C] (rad), ``dt_ms``, ``go_index``, and when present
    ``neuron_ids``, ``conditions`` (labels) and ``excitatory``. The file is the truth: this object
    reads it lazily and never changes it.
    """

    def __init__(self, path: PathLike, provenance: Optional[Dict[str, Any]] = None) -> None:
        self.path = Path(path).expanduser().absolute()
        #: ``import``'s ``DATASET.provenance.json`` (None for other datasets).
        self.provenance = provenance
        self._arrays: Optional[Dict[str, np.ndarray]] = None
        self._owner: Any = None  # keeps a scratch folder alive as long as this dataset

    @classmethod
    def load(cls, path: PathLike) -> "Dataset":
        """The dataset in an existing ``.npz`` file (from ``generate``, ``import`` or elsewhere)."""
        dataset = cls(path)
        if not dataset.path.is_file():
            raise FileNotFoundError(f"{dataset.path}: no such dataset file")
        provenance = dataset.path.with_suffix(".provenance.json")
        if provenance.is_file():
            dataset.provenance = _files.read_json(provenance)
        return dataset

    @classmethod
    def from_arrays(
        cls,
        inputs: Any,
        targets: Any,
        recorded: Any = None,
        rates: Any = None,
        train: Any = None,
        dt_ms: float = 5.0,
        go_index: int = 0,
        angles: Any = None,
        neuron_ids: Any = None,
        conditions: Any = None,
        excitatory: Any = None,
        path: Optional[PathLike] = None,
    ) -> "Dataset":
        """A dataset from NumPy arrays, written as an ``.npz`` in CircuitFit's layout.

        ``inputs`` [C,T,I] and ``targets`` [C,T,K] are required, and one of ``recorded``
        [C,T,M] (a recording: Hz, NaN marks a missing sample) or ``rates`` [C,T,N] (a full
        simulated population). ``train`` [C] marks training conditions (default: all), ``dt_ms``
        is the time step in ms, ``go_index`` the first step at or after the go cue. The file goes
        to ``path``, or to a temporary folder that lives as long as the returned object. Only the
        layout is checked here (dimensions, matching C and T); the binary checks the rest when
        the dataset is used.
        """
        if (recorded is None) == (rates is None):
            raise ValueError("Dataset.from_arrays: give exactly one of recorded= (a recording) or rates= (a full population)")
        arrays: Dict[str, np.ndarray] = {
            "inputs": _float_array(inputs, "inputs", 3),
            "targets": _float_array(targets, "targets", 3),
        }
        if recorded is not None:
            arrays["recorded"] = _float_array(recorded, "recorded", 3)
        else:
            arrays["rates"] = _float_array(rates, "rates", 3)
        c, t = arrays["inputs"].shape[:2]
        for name, array in arrays.items():
            if array.shape[:2] != (c, t):
                raise ValueError(
                    f"Dataset.from_arrays: {name} has shape {array.shape} but inputs has {arrays['inputs'].shape}; "
                    f"every [C,T,·] array needs the same C = {c} conditions and T = {t} time steps"
                )
        mask = np.ones(c, dtype=bool) if train is None else np.asarray(train)
        if mask.shape != (c,):
            raise ValueError(f"Dataset.from_arrays: train has shape {mask.shape} but must be [C] = ({c},)")
        arrays["train"] = mask.astype(np.int64)
        arrays["angles"] = np.full(c, np.nan) if angles is None else _float_array(angles, "angles", 1)
        arrays["dt_ms"] = np.array(float(dt_ms))
        arrays["go_index"] = np.array(int(go_index), dtype=np.int64)
        if neuron_ids is not None:
            arrays["neuron_ids"] = np.asarray(neuron_ids).astype(np.int64)
        if conditions is not None:
            arrays["conditions"] = _float_array(conditions, "conditions", 1)
        if excitatory is not None:
            arrays["excitatory"] = np.asarray(excitatory).astype(np.int64)
        folder, scratch = _files.output_folder(None if path is None else Path(path).expanduser().absolute().parent, "dataset")
        dataset = cls(folder / "dataset.npz" if path is None else path)
        dataset._owner = scratch
        dataset.path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(dataset.path, **arrays)
        dataset._arrays = arrays
        return dataset

    # arrays

    @property
    def arrays(self) -> Dict[str, np.ndarray]:
        """Every array of the file, by name (read once)."""
        if self._arrays is None:
            self._arrays = _files.read_npz(self.path)
        return self._arrays

    def _get(self, name: str) -> Optional[np.ndarray]:
        return self.arrays.get(name)

    @property
    def inputs(self) -> np.ndarray:
        """Task inputs u, [C,T,I]."""
        return self.arrays["inputs"]

    @property
    def targets(self) -> np.ndarray:
        """Output targets z*, [C,T,K]."""
        return self.arrays["targets"]

    @property
    def rates(self) -> Optional[np.ndarray]:
        """Every circuit neuron's rate [C,T,N], Hz relative to baseline (generated datasets)."""
        return self._get("rates")

    @property
    def recorded(self) -> Optional[np.ndarray]:
        """The recorded neurons' rates [C,T,M], Hz, NaN = missing (imported datasets)."""
        return self._get("recorded")

    @property
    def neural(self) -> np.ndarray:
        """The neural data fits use: ``rates`` when present, else ``recorded``."""
        data = self.rates if self.rates is not None else self.recorded
        if data is None:
            raise KeyError(f"{self.path}: neither 'rates' nor 'recorded' is in the file")
        return data

    @property
    def train(self) -> np.ndarray:
        """True for each training condition, [C] bool."""
        return self.arrays["train"].astype(bool)

    @property
    def angles(self) -> np.ndarray:
        """Reach angle of each condition, rad (NaN when unknown), [C]."""
        angles = self._get("angles")
        return np.full(self.inputs.shape[0], np.nan) if angles is None else angles

    @property
    def dt_ms(self) -> float:
        """Time step, ms."""
        return float(self.arrays["dt_ms"])

    @property
    def go_index(self) -> int:
        """First time step at or after the go cue."""
        return int(self.arrays["go_index"])

    @property
    def t_ms(self) -> np.ndarray:
        """Time of each step, ms: ``arange(T) * dt_ms``."""
        return np.arange(self.inputs.shape[1]) * self.dt_ms

    @property
    def shape(self) -> Dict[str, int]:
        """The sizes: conditions, time_steps, inputs, outputs, neurons."""
        c, t, i = self.inputs.shape
        return {"conditions": c, "time_steps": t, "inputs": i, "outputs": self.targets.shape[2], "neurons": self.neural.shape[2]}

    def save(self, path: PathLike) -> "Dataset":
        """A copy of this dataset's file at ``path`` (the arrays unchanged)."""
        target = Path(path).expanduser().absolute()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(self.path.read_bytes())
        return Dataset.load(target)

    def to_xarray(self) -> Any:
        """The arrays as an ``xarray.Dataset``: dims condition, time, unit, input, output;
        coords t_ms, angle, train, label (and neuron_id when present). Needs xarray."""
        from ._xarray import dataset_to_xarray

        return dataset_to_xarray(self)

    def __repr__(self) -> str:
        try:
            s = self.shape
            size = f"{s['conditions']} conditions × {s['time_steps']} steps, {s['inputs']} inputs, {s['outputs']} outputs, {s['neurons']} neurons"
        except (OSError, KeyError, ValueError):
            size = "unreadable"
        return f"Dataset({str(self.path)!r}: {size})"


def _float_array(values: Any, name: str, ndim: int) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != ndim:
        dims = {1: "[C]", 3: "[C,T,·]"}[ndim]
        raise ValueError(f"Dataset.from_arrays: {name} has {array.ndim} dimensions (shape {array.shape}) but must be {dims}")
    return np.ascontiguousarray(array)


def as_dataset(value: Any) -> Dataset:
    """A Dataset from a Dataset, a Circuit (its dataset) or a path to a dataset file."""
    if isinstance(value, Dataset):
        return value
    dataset = getattr(value, "dataset", None)
    if isinstance(dataset, Dataset):
        return dataset
    if isinstance(value, (str, Path)) or hasattr(value, "__fspath__"):
        return Dataset.load(value)
    raise TypeError(f"expected a Dataset, a Circuit or a path to a dataset .npz, got {type(value).__name__}")
