"""The PEP 517 build backend of the ``circuitfit`` Python package: standard library only.

It writes wheels byte for byte reproducibly (sorted entries, fixed timestamps from
``SOURCE_DATE_EPOCH`` or 1980-01-01, fixed permissions), so that a release can be rebuilt and
compared, and it needs nothing downloaded to build.

- ``pip install python/`` builds a pure wheel (``py3-none-any``) that runs the ``circuitfit``
  found on PATH or named by ``CIRCUITFIT_BINARY``.
- ``scripts/release.sh`` builds the release wheel, which carries the self-contained binary:
  config settings (or environment variables) ``binary`` (``CIRCUITFIT_WHEEL_BINARY``), the
  binary to bundle, ``platform`` (``CIRCUITFIT_WHEEL_PLATFORM``), its platform tag such as
  ``manylinux_2_34_x86_64``, and ``licenses`` (``CIRCUITFIT_WHEEL_LICENSES``), a folder of
  licence texts of what the binary bundles (copied into the wheel's ``.dist-info/licenses/``).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tarfile
import time
import zipfile
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

try:
    import tomllib
except ImportError:  # Python < 3.11: pyproject.toml's build-system requires tomli there
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "circuitfit"


def _project() -> Dict[str, Any]:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]


def _setting(config: Optional[Mapping[str, Any]], key: str, variable: str) -> Optional[str]:
    value = (config or {}).get(key) or os.environ.get(variable)
    return str(value) if value else None


def _date_time() -> Tuple[int, int, int, int, int, int]:
    epoch = max(int(os.environ.get("SOURCE_DATE_EPOCH", "315532800")), 315532800)
    return time.gmtime(epoch)[:6]


def _metadata(project: Mapping[str, Any]) -> str:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {project['version']}",
        f"Summary: {project['description']}",
    ]
    if "requires-python" in project:
        lines.append(f"Requires-Python: {project['requires-python']}")
    for requirement in project.get("dependencies", []):
        lines.append(f"Requires-Dist: {requirement}")
    for extra, requirements in sorted(project.get("optional-dependencies", {}).items()):
        lines.append(f"Provides-Extra: {extra}")
        for requirement in requirements:
            lines.append(f'Requires-Dist: {requirement}; extra == "{extra}"')
    for classifier in project.get("classifiers", []):
        lines.append(f"Classifier: {classifier}")
    readme = project.get("readme")
    body = ""
    if readme:
        lines.append("Description-Content-Type: text/markdown")
        body = (ROOT / readme).read_text(encoding="utf-8")
    return "\n".join(lines) + "\n\n" + body


class _WheelWriter:
    """Collects (archive name, bytes, mode) entries and writes them with a RECORD."""

    def __init__(self) -> None:
        self.entries: List[Tuple[str, bytes, int]] = []

    def add(self, name: str, data: bytes, mode: int = 0o644) -> None:
        self.entries.append((name, data, mode))

    def write(self, path: Path, dist_info: str) -> None:
        self.entries.sort(key=lambda e: (e[0].startswith(dist_info), e[0]))
        record = io.StringIO()
        for name, data, _ in self.entries:
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.write(f"{name},sha256={digest},{len(data)}\n")
        record.write(f"{dist_info}/RECORD,,\n")
        stamp = _date_time()
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
            for name, data, mode in [*self.entries, (f"{dist_info}/RECORD", record.getvalue().encode(), 0o644)]:
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.external_attr = (0o100000 | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # Unix, so the permissions are read back
                wheel.writestr(info, data, compresslevel=9)


def _package_files() -> List[Path]:
    source = ROOT / "src" / PACKAGE
    return sorted(
        p for p in source.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix in (".py", ".typed") and "_bin" not in p.parts
    )


def _build(wheel_directory: str, config: Optional[Mapping[str, Any]], editable: bool) -> str:
    project = _project()
    name, version = project["name"], project["version"]
    binary = None if editable else _setting(config, "binary", "CIRCUITFIT_WHEEL_BINARY")
    platform = _setting(config, "platform", "CIRCUITFIT_WHEEL_PLATFORM")
    licenses = _setting(config, "licenses", "CIRCUITFIT_WHEEL_LICENSES")
    if binary and not platform:
        raise ValueError("circuitfit_build: a wheel carrying a binary needs its platform tag (config setting 'platform')")
    tag = f"py3-none-{platform}" if binary else "py3-none-any"
    dist_info = f"{name}-{version}.dist-info"
    writer = _WheelWriter()
    if editable:
        writer.add(f"_{name}_editable.pth", (str(ROOT / "src") + "\n").encode())
    else:
        for path in _package_files():
            writer.add(f"{PACKAGE}/{path.relative_to(ROOT / 'src' / PACKAGE).as_posix()}", path.read_bytes())
    if binary:
        writer.add(f"{PACKAGE}/_bin/circuitfit", Path(binary).read_bytes(), 0o755)
        writer.add(f"{dist_info}/entry_points.txt", b"[console_scripts]\ncircuitfit = circuitfit._binary:main\n")
    if licenses:
        for path in sorted(p for p in Path(licenses).rglob("*") if p.is_file()):
            writer.add(f"{dist_info}/licenses/{path.relative_to(licenses).as_posix()}", path.read_bytes())
    writer.add(f"{dist_info}/METADATA", _metadata(project).encode())
    writer.add(
        f"{dist_info}/WHEEL",
        f"Wheel-Version: 1.0\nGenerator: circuitfit_build\nRoot-Is-Purelib: {'false' if binary else 'true'}\nTag: {tag}\n".encode(),
    )
    filename = f"{name}-{version}-{tag}.whl"
    Path(wheel_directory).mkdir(parents=True, exist_ok=True)
    writer.write(Path(wheel_directory) / filename, dist_info)
    return filename


# PEP 517 / PEP 660 hooks


def get_requires_for_build_wheel(config_settings: Optional[Mapping[str, Any]] = None) -> List[str]:
    return []


def get_requires_for_build_editable(config_settings: Optional[Mapping[str, Any]] = None) -> List[str]:
    return []


def get_requires_for_build_sdist(config_settings: Optional[Mapping[str, Any]] = None) -> List[str]:
    return []


def build_wheel(wheel_directory: str, config_settings: Optional[Mapping[str, Any]] = None,
                metadata_directory: Optional[str] = None) -> str:
    return _build(wheel_directory, config_settings, editable=False)


def build_editable(wheel_directory: str, config_settings: Optional[Mapping[str, Any]] = None,
                   metadata_directory: Optional[str] = None) -> str:
    return _build(wheel_directory, config_settings, editable=True)


def build_sdist(sdist_directory: str, config_settings: Optional[Mapping[str, Any]] = None) -> str:
    project = _project()
    base = f"{project['name']}-{project['version']}"
    files = [ROOT / "pyproject.toml", ROOT / "README.md", *sorted((ROOT / "build_backend").glob("*.py")), *_package_files()]
    filename = f"{base}.tar.gz"
    Path(sdist_directory).mkdir(parents=True, exist_ok=True)
    mtime = time.mktime(_date_time() + (0, 0, -1))
    with tarfile.open(Path(sdist_directory) / filename, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for path in files:
            info = tar.gettarinfo(str(path), f"{base}/{path.relative_to(ROOT).as_posix()}")
            info.mtime, info.uid, info.gid, info.uname, info.gname, info.mode = int(mtime), 0, 0, "", "", 0o644
            with open(path, "rb") as f:
                tar.addfile(info, f)
        pkg_info = _metadata(project).encode()
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        info.size, info.mtime, info.mode = len(pkg_info), int(mtime), 0o644
        tar.addfile(info, io.BytesIO(pkg_info))
    return filename
