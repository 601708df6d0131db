"""Shared fixtures: one tiny generated circuit and one short fit for the whole session.

The binary under test is CIRCUITFIT_BINARY (scripts/test.sh sets it to the source build); when
unset, the repository's .build/release/circuitfit is used if it exists, else the package's usual
lookup (bundled binary, then PATH).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

if not os.environ.get("CIRCUITFIT_BINARY"):
    built = REPO / ".build" / "release" / "circuitfit"
    if built.is_file():
        os.environ["CIRCUITFIT_BINARY"] = str(built)

import circuitfit as cf  # noqa: E402  (after the binary is chosen)

#: A small circuit: 20 neurons keep every call well under a second.
NEURONS = 20


@pytest.fixture(scope="session")
def circuit(tmp_path_factory: pytest.TempPathFactory) -> cf.Circuit:
    return cf.generate(seed=1, neurons=NEURONS, out=tmp_path_factory.mktemp("circuit"), progress=False)


@pytest.fixture(scope="session")
def fit(circuit: cf.Circuit, tmp_path_factory: pytest.TempPathFactory) -> cf.Fit:
    return cf.train(circuit.dataset, record=5, lam=1, seed=1, hidden=NEURONS, iterations=100,
                    out=tmp_path_factory.mktemp("fit"), progress=False)


def binary_has_command(name: str) -> bool:
    """Whether the binary under test knows the subcommand ``name``."""
    return any(line.split()[:1] == [name] for line in cf.run(["--help"], progress=False).splitlines())
