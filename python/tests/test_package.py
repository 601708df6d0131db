import base64
import hashlib
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import circuitfit as cf
from conftest import NEURONS, REPO

BACKEND = REPO / "python" / "build_backend"


def test_binary_version_is_the_package_version() -> None:
    assert cf.binary_version() == cf.__version__


def test_circuitfit_binary_variable_overrides_and_is_checked(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CIRCUITFIT_BINARY", str(tmp_path / "missing"))
    with pytest.raises(cf.CircuitFitError, match="CIRCUITFIT_BINARY=.*missing: no such file") as raised:
        cf.generate(progress=False)
    assert raised.value.exit_status is None


def test_binary_found_on_path(monkeypatch, tmp_path) -> None:
    real = cf.binary_path()
    (tmp_path / "circuitfit").symlink_to(real)
    monkeypatch.delenv("CIRCUITFIT_BINARY", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    if cf._binary.bundled_binary() is None:
        assert cf.binary_path() == real.resolve()
    assert cf.binary_version() == cf.__version__


def test_progress_lines_reach_stderr(capfd) -> None:
    cf.generate(seed=1, neurons=NEURONS, progress=True)
    err = capfd.readouterr().err
    assert "stability optimisation: step" in err
    cf.generate(seed=1, neurons=NEURONS, progress=False)
    assert capfd.readouterr().err == ""


def build(tmp_path: Path, settings=None) -> Path:
    sys.path.insert(0, str(BACKEND))
    try:
        import circuitfit_build
    finally:
        sys.path.remove(str(BACKEND))
    return tmp_path / circuitfit_build.build_wheel(str(tmp_path), settings or {})


def check_record(wheel: zipfile.ZipFile) -> None:
    record = wheel.read(next(n for n in wheel.namelist() if n.endswith("/RECORD"))).decode()
    for line in record.splitlines():
        name, digest, size = line.rsplit(",", 2)
        if not digest:
            continue
        data = wheel.read(name)
        assert digest == "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert int(size) == len(data)


def test_pure_wheel_is_complete_and_reproducible(tmp_path) -> None:
    first = build(tmp_path / "a")
    second = build(tmp_path / "b")
    assert first.name == "circuitfit-0.2.0-py3-none-any.whl"
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as wheel:
        names = set(wheel.namelist())
        assert {"circuitfit/__init__.py", "circuitfit/py.typed", "circuitfit-0.2.0.dist-info/METADATA"} <= names
        assert not any("/_bin/" in n or "__pycache__" in n for n in names)
        assert "Requires-Dist: numpy" in wheel.read("circuitfit-0.2.0.dist-info/METADATA").decode()
        check_record(wheel)


def test_binary_wheel_carries_an_executable_and_its_platform(tmp_path) -> None:
    fake = tmp_path / "circuitfit"
    fake.write_bytes(b"#!/bin/sh\necho 0.2.0\n")
    licences = tmp_path / "licences"
    licences.mkdir()
    (licences / "zlib.copyright").write_text("zlib licence\n")
    wheel_path = build(tmp_path / "w", {"binary": str(fake), "platform": "manylinux_2_34_x86_64", "licenses": str(licences)})
    assert wheel_path.name == "circuitfit-0.2.0-py3-none-manylinux_2_34_x86_64.whl"
    with zipfile.ZipFile(wheel_path) as wheel:
        info = wheel.getinfo("circuitfit/_bin/circuitfit")
        assert (info.external_attr >> 16) & 0o777 == 0o755
        assert wheel.read("circuitfit-0.2.0.dist-info/licenses/zlib.copyright") == b"zlib licence\n"
        assert "Tag: py3-none-manylinux_2_34_x86_64" in wheel.read("circuitfit-0.2.0.dist-info/WHEEL").decode()
        assert "circuitfit = circuitfit._binary:main" in wheel.read("circuitfit-0.2.0.dist-info/entry_points.txt").decode()
        check_record(wheel)


def test_binary_wheel_needs_a_platform(tmp_path) -> None:
    with pytest.raises(ValueError, match="platform tag"):
        build(tmp_path, {"binary": str(tmp_path)})


def test_notebook_progress_updates_one_display(monkeypatch) -> None:
    """In Jupyter, progress lines update one display area in place (IPython's display_id)."""
    import types

    from circuitfit import _progress

    shown = []

    class Handle:
        def update(self, obj) -> None:
            shown.append(("update", obj.text))

    def display(obj, display_id=False):
        assert display_id is True
        shown.append(("display", obj.text))
        return Handle()

    ipython_display = types.ModuleType("IPython.display")
    ipython_display.display = display
    monkeypatch.setitem(sys.modules, "IPython.display", ipython_display)
    monkeypatch.setattr(_progress, "_in_notebook", lambda: True)
    progress = _progress.ProgressDisplay()
    for line in ("train: iter 10/100", "train: iter 20/100", "train: iter 100/100"):
        progress.line(line)
    progress.close()
    assert shown == [("display", "train: iter 10/100"), ("update", "train: iter 20/100"), ("update", "train: iter 100/100")]
    assert "&lt;" in _progress._Text("<b>")._repr_html_()
