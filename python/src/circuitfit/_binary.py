"""Finding the ``circuitfit`` program this package runs.

Order: the ``CIRCUITFIT_BINARY`` environment variable (a path), the binary inside the installed
wheel (``circuitfit/_bin/circuitfit``), then ``circuitfit`` on ``PATH`` (a source build).
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path
from typing import NoReturn, Optional

from .errors import CircuitFitError

#: The environment variable that names the binary to run, overriding every other choice.
BINARY_VARIABLE = "CIRCUITFIT_BINARY"

_BUNDLED = Path(__file__).resolve().parent / "_bin" / "circuitfit"


def bundled_binary() -> Optional[Path]:
    """The binary shipped inside this package (release wheels), or ``None`` (source installs)."""
    return _BUNDLED if _BUNDLED.is_file() else None


def binary_path() -> Path:
    """The ``circuitfit`` program every call runs (see the module docstring for the order).

    Raises :class:`CircuitFitError` (``exit_status`` ``None``) when none is found or the one
    named by ``CIRCUITFIT_BINARY`` is not an executable file.
    """
    named = os.environ.get(BINARY_VARIABLE)
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise CircuitFitError(f"{BINARY_VARIABLE}={named}: no such file")
        if not os.access(path, os.X_OK):
            raise CircuitFitError(f"{BINARY_VARIABLE}={named}: not executable")
        return path.resolve()
    bundled = bundled_binary()
    if bundled is not None:
        if not os.access(bundled, os.X_OK):
            # a wheel unpacked by a tool that dropped the executable bit
            try:
                bundled.chmod(bundled.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
            except OSError as error:
                raise CircuitFitError(f"{bundled}: the bundled binary is not executable ({error})") from None
        return bundled
    found = shutil.which("circuitfit")
    if found:
        return Path(found).resolve()
    raise CircuitFitError(
        "no circuitfit binary: install the release wheel (it carries one), put a source build's "
        f"circuitfit on PATH, or set {BINARY_VARIABLE} to its path"
    )


def main() -> NoReturn:
    """The ``circuitfit`` console command of release wheels: runs the bundled binary."""
    try:
        path = binary_path()
    except CircuitFitError as error:
        print(f"error: {error.message}", file=sys.stderr)
        raise SystemExit(1) from None
    os.execv(str(path), [str(path), *sys.argv[1:]])
