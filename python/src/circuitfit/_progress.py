"""Showing the binary's progress lines (standard error) while a command runs.

In Jupyter (IPython with a kernel) one display area is updated in place; in a terminal one line is
rewritten in place; otherwise (logs, pipes) each line is printed as it comes.
"""

from __future__ import annotations

import sys
from typing import Any, Optional


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython  # type: ignore[import-not-found]
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


class ProgressDisplay:
    """Receives the binary's standard-error lines one by one and shows the latest."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._handle: Any = None
        self._notebook = enabled and _in_notebook()
        self._terminal = enabled and not self._notebook and sys.stderr.isatty()
        self._open_line = False

    def line(self, text: str) -> None:
        """Shows one line the program wrote."""
        if not self.enabled or not text:
            return
        if self._notebook:
            self._show_in_notebook(text)
        elif self._terminal:
            sys.stderr.write("\r\x1b[K" + text)
            sys.stderr.flush()
            self._open_line = True
        else:
            print(text, file=sys.stderr, flush=True)

    def _show_in_notebook(self, text: str) -> None:
        from IPython.display import display  # type: ignore[import-not-found]

        if self._handle is None:
            self._handle = display(_Text(text), display_id=True)
        else:
            self._handle.update(_Text(text))

    def close(self) -> None:
        """Ends the display (the last line stays visible)."""
        if self._open_line:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self._open_line = False


class _Text:
    """Plain text for IPython's display: one preformatted line."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        import html

        return f"<pre style='margin:0'>{html.escape(self.text)}</pre>"


def make_display(progress: Optional[bool]) -> ProgressDisplay:
    """The display for a call's ``progress`` argument (``None`` and ``True`` show progress)."""
    return ProgressDisplay(enabled=progress is not False)
