"""docs/python.md's example runs as written: every ```python block, in order, in one namespace
(```py blocks are shown but not run)."""

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "python.md"


def example_code() -> str:
    blocks = re.findall(r"^```python\n(.*?)^```", DOC.read_text(encoding="utf-8"), flags=re.S | re.M)
    assert blocks, f"{DOC} has no ```python block"
    return "\n".join(blocks)


def test_docs_example_runs(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__example__"}
    exec(compile(example_code(), str(DOC), "exec"), namespace)
    assert "fit" in namespace and "scores" in namespace


if __name__ == "__main__":
    print(example_code())
