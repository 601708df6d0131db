"""Recordings to datasets: ``circuitfit import`` (docs/files.md#import, docs/recordings.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Optional, Sequence, Tuple, Union

from . import _files
from ._files import PathLike
from ._runner import options, path_text, repeated, run
from .dataset import Dataset


def import_recording(
    path: PathLike,
    out: Optional[PathLike] = None,
    condition_column: Optional[str] = None,
    align_to: Optional[str] = None,
    window_ms: Optional[Tuple[float, float]] = None,
    bin_ms: Optional[float] = None,
    smooth_ms: Optional[float] = None,
    behavior: Optional[Sequence[str]] = None,
    input_column: Optional[Sequence[str]] = None,
    held_out: Optional[Sequence[Any]] = None,
    angle_column: Optional[str] = None,
    single_trials: bool = False,
    config: Union[Mapping[str, Any], PathLike, None] = None,
    progress: Optional[bool] = True,
    **import_options: Any,
) -> Dataset:
    """Turns a recording (NWB, MAT v5/v7.3, NPZ) into a dataset (``circuitfit import``).

    ``condition_column`` names each trial's condition (default "condition"), ``align_to`` the
    event column (s) every trial is aligned to (default "go_cue_time"), ``window_ms`` the
    (start, end) window around it (default (-400, 600)), ``bin_ms`` the bin width (default 20),
    ``smooth_ms`` the Gaussian smoothing SD (default 0), ``behavior`` the behavioural series used
    as targets, ``input_column`` trials columns used as inputs, ``held_out`` condition labels
    held out of training, ``angle_column`` each condition's reach angle, ``single_trials`` one
    row per trial, ``config`` a dict of import options (or a JSON file). Other keywords become
    options of the command (``where="..."`` → ``--where ...``). The dataset goes to ``out``
    (default: a temporary file that lives as long as the returned Dataset), with its provenance
    (``Dataset.provenance``).
    """
    folder, scratch = _files.output_folder(None if out is None else Path(out).expanduser().absolute().parent, "import")
    target = folder / "dataset.npz" if out is None else Path(out).expanduser().absolute()
    window = None if window_ms is None else f"{float(window_ms[0]):g},{float(window_ms[1]):g}"
    with _files.json_argument(config) as config_file:
        run(
            ["import", path_text(path), "--out", str(target),
             *options(condition_column=condition_column, align_to=align_to, window_ms=window, bin_ms=bin_ms,
                      smooth_ms=smooth_ms, held_out=[str(v) for v in held_out] if held_out is not None else None,
                      angle_column=angle_column, single_trials=single_trials, config=config_file, **import_options),
             *repeated("--behavior", behavior), *repeated("--input-column", input_column)],
            progress=progress,
        )
    dataset = Dataset.load(target)
    dataset._owner = scratch
    return dataset
