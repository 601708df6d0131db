"""The ground-truth circuit: ``circuitfit generate`` (docs/files.md#generate)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Union

import numpy as np

from . import _files
from ._files import PathLike, ScratchFolder
from ._runner import options, path_text, run
from .dataset import Dataset


class Circuit:
    """A generated circuit: the folder ``generate`` wrote and its contents.

    ``dataset`` is its reaching dataset (every neuron's rates); ``arrays`` the arrays of
    ``circuit.npz`` (``W`` [N,N], ``excitatory`` [N], ``x0`` [C,N], ``readout`` [K,N],
    ``readout_bias`` [K], ``desired_targets`` [C,T,K], ``tau_ms``, ``r0_hz``, ``rmax_hz``);
    ``summary`` and ``config`` the two JSON files as dicts.
    """

    def __init__(self, path: PathLike, scratch: Optional[ScratchFolder] = None) -> None:
        self.path = Path(path).expanduser().absolute()
        if not (self.path / "circuit.npz").is_file():
            raise FileNotFoundError(f"{self.path}: no circuit.npz (not a folder written by generate)")
        self._scratch = scratch
        self.dataset = Dataset.load(self.path / "dataset.npz")
        self.dataset._owner = scratch  # a dataset in a scratch folder keeps it alive
        self._arrays: Optional[Dict[str, np.ndarray]] = None

    @property
    def arrays(self) -> Dict[str, np.ndarray]:
        """The arrays of ``circuit.npz``."""
        if self._arrays is None:
            self._arrays = _files.read_npz(self.path / "circuit.npz")
        return self._arrays

    @property
    def W(self) -> np.ndarray:
        """Connectivity [N,N], row = postsynaptic, column = presynaptic."""
        return self.arrays["W"]

    @property
    def excitatory(self) -> np.ndarray:
        """True for excitatory neurons, [N]."""
        return self.arrays["excitatory"].astype(bool)

    @property
    def readout(self) -> np.ndarray:
        """Muscle readout [K,N]."""
        return self.arrays["readout"]

    @property
    def rates(self) -> np.ndarray:
        """Every neuron's rate [C,T,N], Hz relative to baseline (the dataset's ``rates``)."""
        return self.dataset.neural

    @property
    def summary(self) -> Dict[str, Any]:
        """``summary.json``: diagnostics of the circuit."""
        return _files.read_json(self.path / "summary.json")

    @property
    def config(self) -> Dict[str, Any]:
        """``config.json``: version, seed and every circuit parameter."""
        return _files.read_json(self.path / "config.json")

    def __repr__(self) -> str:
        return f"Circuit({str(self.path)!r}: {self.W.shape[0]} neurons, seed {self.config.get('seed')})"


def generate(
    seed: Optional[int] = None,
    neurons: Optional[int] = None,
    config: Union[Mapping[str, Any], PathLike, None] = None,
    out: Optional[PathLike] = None,
    threads: Optional[int] = None,
    progress: Optional[bool] = True,
) -> Circuit:
    """Builds the ground-truth circuit and its reaching dataset (``circuitfit generate``).

    ``seed`` (default 1) seeds every random draw; ``neurons`` is N (default 200, half
    excitatory); ``config`` is a dict of ``CircuitConfig`` fields (docs/method.md, e.g.
    ``{"maxOptimizationSteps": 50}``) or a JSON file; ``out`` the folder to write (default: a
    temporary folder that lives as long as the returned Circuit); ``threads`` OpenBLAS threads
    (default 1). Raises CircuitFitError with the program's message on bad input.
    """
    folder, scratch = _files.output_folder(out, "circuit")
    with _files.json_argument(config) as config_file:
        run(
            ["generate", "--out", path_text(folder),
             *options(seed=seed, neurons=neurons, config=config_file, threads=threads)],
            progress=progress,
        )
    return Circuit(folder, scratch)
