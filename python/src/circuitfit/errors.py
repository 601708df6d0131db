"""The one exception CircuitFit raises for what the ``circuitfit`` program refused or failed."""

from __future__ import annotations

from typing import Optional, Sequence


class CircuitFitError(RuntimeError):
    """A ``circuitfit`` command failed.

    ``message`` is CircuitFit's own one-line message (the ``error: …`` line, without ``error: ``),
    naming the file, array or option and the expected versus actual value. ``exit_status`` is the
    program's exit status (docs/files.md#exit-statuses: 1 error, 3 partial failure, 64 usage),
    or ``None`` when the program could not be started. ``command`` is the argument list that ran
    and ``stderr`` everything the program wrote to standard error.
    """

    def __init__(
        self,
        message: str,
        exit_status: Optional[int] = None,
        command: Sequence[str] = (),
        stderr: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.exit_status = exit_status
        self.command = list(command)
        self.stderr = stderr

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"CircuitFitError({self.message!r}, exit_status={self.exit_status!r})"
