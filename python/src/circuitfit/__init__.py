"""CircuitFit from Python: train RNN models of brain circuits on task outputs and a few recorded
neurons, and score them with CircuitFit's metrics.

A thin, typed wrapper of the ``circuitfit`` program (the release wheel carries it; a source
build's binary on PATH or ``CIRCUITFIT_BINARY`` works too). Every number is computed by the
binary: this package writes NumPy arrays into the documented ``.npz`` layout, runs the command,
and reads its outputs back as arrays and dicts. Errors are :class:`CircuitFitError` carrying
CircuitFit's one-line message.

    import circuitfit as cf
    circuit = cf.generate(seed=1)
    fit = cf.train(circuit.dataset, record=20, lam=1, seed=1)
    scores = fit.evaluate(circuit.dataset)

The whole guide: docs/python.md in the repository.
"""

from ._binary import binary_path
from ._runner import run
from .circuit import Circuit, generate
from .compare import Comparison, compare
from .dataset import Dataset
from .errors import CircuitFitError
from .experiment import Experiment, experiment
from .fit import Fit, Simulation, load_fit, train
from .recording import import_recording

__version__ = "0.2.0"

__all__ = [
    "Circuit",
    "CircuitFitError",
    "Comparison",
    "Dataset",
    "Experiment",
    "Fit",
    "Simulation",
    "binary_path",
    "binary_version",
    "compare",
    "experiment",
    "generate",
    "import_recording",
    "load_fit",
    "run",
    "train",
]


def binary_version() -> str:
    """The version the ``circuitfit`` binary reports (``circuitfit --version``)."""
    return run(["--version"], progress=False).strip()
