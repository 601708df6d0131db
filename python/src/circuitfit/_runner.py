"""Running one ``circuitfit`` command: arguments in, standard output back, errors raised.

Standard error is read line by line while the command runs (progress lines, rewritten in place
by the binary on a terminal, one every ``CIRCUITFIT_PROGRESS_INTERVAL`` seconds otherwise) and
shown through :mod:`._progress`; the last ``error: …`` line becomes the :class:`CircuitFitError`.
"""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path
from typing import Iterable, List, Mapping, Optional, Sequence, Union

from ._binary import binary_path
from ._progress import make_display
from .errors import CircuitFitError

#: How often (seconds) the binary prints a progress line when its standard error is not a terminal.
PROGRESS_INTERVAL_SECONDS = 0.5

Argument = Union[str, int, float, os.PathLike]


def run(
    arguments: Sequence[Argument],
    progress: Optional[bool] = True,
    environment: Optional[Mapping[str, str]] = None,
) -> str:
    """Runs ``circuitfit ARGUMENTS…`` and returns its standard output.

    Raises :class:`CircuitFitError` with the program's one-line message and exit status when it
    exits with a status other than 0. Ctrl-C stops the program and re-raises ``KeyboardInterrupt``.
    """
    command = [str(binary_path()), *(_text(a) for a in arguments)]
    env = dict(os.environ)
    env.setdefault("CIRCUITFIT_PROGRESS_INTERVAL", str(PROGRESS_INTERVAL_SECONDS))
    if environment:
        env.update(environment)
    display = make_display(progress)
    stderr_lines: List[str] = []
    try:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        )
    except OSError as error:
        raise CircuitFitError(f"could not start {command[0]}: {error.strerror}", None, command) from None

    def read_stderr() -> None:
        assert process.stderr is not None
        for raw in iter(process.stderr.readline, b""):
            for piece in raw.decode("utf-8", "replace").replace("\r", "\n").split("\n"):
                text = piece.replace("\x1b[K", "").strip()
                if text:
                    stderr_lines.append(text)
                    if not text.startswith("error: "):
                        display.line(text)

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    try:
        assert process.stdout is not None
        stdout = process.stdout.read()
        status = process.wait()
    except KeyboardInterrupt:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        raise
    finally:
        reader.join()
        display.close()
    if status != 0:
        raise CircuitFitError(_message(stderr_lines, command, status), status, command, "\n".join(stderr_lines))
    return stdout.decode("utf-8", "replace")


def _message(lines: Sequence[str], command: Sequence[str], status: int) -> str:
    errors = [line[len("error: "):] for line in lines if line.startswith("error: ")]
    if errors:
        return errors[-1]
    if status < 0:
        return f"circuitfit {command[1] if len(command) > 1 else ''} was killed by signal {-status}".replace("  ", " ")
    tail = lines[-1] if lines else "no message"
    return f"circuitfit {command[1] if len(command) > 1 else ''} exited with status {status}: {tail}"


def _text(value: Argument) -> str:
    if isinstance(value, bool):
        raise TypeError("booleans are flags: pass them with options(), not as values")
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return str(value)


def options(**values: object) -> List[str]:
    """Command-line options from keyword arguments: ``learning_rate=0.01`` → ``--learning-rate 0.01``.

    ``None`` and ``False`` are left out, ``True`` is a bare flag, a list or tuple becomes one
    comma-separated value (``record=[0, 5]`` → ``--record 0,5``).
    """
    out: List[str] = []
    for name, value in values.items():
        if value is None or value is False:
            continue
        flag = "--" + name.replace("_", "-")
        if value is True:
            out.append(flag)
        elif isinstance(value, (list, tuple)):
            out += [flag, ",".join(_text(v) for v in value)]  # type: ignore[arg-type]
        else:
            out += [flag, _text(value)]  # type: ignore[arg-type]
    return out


def repeated(flag: str, values: Optional[Iterable[Argument]]) -> List[str]:
    """A repeatable option: ``repeated("--behavior", ["emg", "x"])`` → ``--behavior emg --behavior x``."""
    out: List[str] = []
    for value in values or ():
        out += [flag, _text(value)]
    return out


def path_text(path: Union[str, os.PathLike]) -> str:
    """A path as the binary gets it (absolute, so a changed working directory cannot matter)."""
    return str(Path(path).expanduser().absolute())
