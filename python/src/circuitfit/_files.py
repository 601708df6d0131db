"""Folders and files the package writes for the binary, and reading its outputs back."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple, Union

import numpy as np

PathLike = Union[str, "os.PathLike[str]"]


class ScratchFolder:
    """A temporary folder, removed when this object is garbage-collected (or at exit).

    Objects whose files live in one (a Circuit, a Fit, a Dataset made from arrays) keep a
    reference to it, so the files exist exactly as long as something can read them.
    """

    def __init__(self, prefix: str) -> None:
        self.path = Path(tempfile.mkdtemp(prefix=f"circuitfit-{prefix}-"))
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(self.path), True)


def output_folder(out: Optional[PathLike], prefix: str) -> Tuple[Path, Optional[ScratchFolder]]:
    """``out`` as an absolute path, or a new scratch folder (and the object that owns it)."""
    if out is None:
        scratch = ScratchFolder(prefix)
        return scratch.path, scratch
    return Path(out).expanduser().absolute(), None


@contextlib.contextmanager
def json_argument(value: Union[Mapping[str, Any], PathLike, None]) -> Iterator[Optional[str]]:
    """A config for a ``--config``-style option: a dict is written to a temporary JSON file for the
    duration of the call, a path is passed on as it is, None stays None."""
    if value is None:
        yield None
    elif isinstance(value, Mapping):
        with tempfile.TemporaryDirectory(prefix="circuitfit-config-") as folder:
            path = Path(folder) / "config.json"
            path.write_text(json.dumps(dict(value), indent=2, sort_keys=True) + "\n", encoding="utf-8")
            yield str(path)
    else:
        yield str(Path(value).expanduser().absolute())


def read_npz(path: Path) -> Dict[str, np.ndarray]:
    """Every array of an ``.npz`` file, loaded into memory (0-d arrays stay 0-d arrays)."""
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def read_json(path: Path) -> Any:
    """A JSON file CircuitFit wrote; ``"NaN"``/``"Infinity"`` strings stay strings, ``null`` is None."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def parse_json(text: str) -> Any:
    """JSON printed by ``--json`` options."""
    return json.loads(text)


def read_csv(path: Path) -> List[Dict[str, Any]]:
    """A CircuitFit CSV file as rows of dicts: numbers as int or float, empty cells as None."""
    with open(path, newline="", encoding="utf-8") as f:
        return [{key: _cell(value) for key, value in row.items()} for row in csv.DictReader(f)]


def csv_columns(path: Path) -> Dict[str, np.ndarray]:
    """A numeric CircuitFit CSV file as one float array per column (empty cells are NaN)."""
    rows = read_csv(path)
    if not rows:
        with open(path, newline="", encoding="utf-8") as f:
            header = next(csv.reader(f), [])
        return {name: np.zeros(0) for name in header}
    return {
        name: np.array([np.nan if row[name] is None else row[name] for row in rows], dtype=float)
        for name in rows[0]
    }


def _cell(text: Optional[str]) -> Any:
    if text is None or text == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text
