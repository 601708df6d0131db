#!/usr/bin/env bash
# Installs what CircuitFit needs on a fresh Debian machine that has the Swift toolchain, then
# builds it in release mode. Shared by the README's two commands (scripts/demo.sh, scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libopenblas-dev liblapacke-dev libhdf5-dev zlib1g-dev pkg-config python3 python3-pip)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# python3/pip may come from elsewhere (pyenv): only ask apt for them when no python3 is on PATH.
if command -v python3 >/dev/null 2>&1; then
    missing=("${missing[@]/python3-pip}"); missing=("${missing[@]/python3}")
fi
read -r -a missing <<< "${missing[*]:-}"
if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]]; then
        echo "setup: installing ${missing[*]}" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "setup: missing Debian packages: ${missing[*]}" >&2
        echo "setup: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
fi
command -v swift >/dev/null || { echo "setup: the Swift toolchain (swift) is not on PATH" >&2; exit 1; }
echo "setup: building CircuitFit (release)" >&2
if ! swift build -c release --product circuitfit > .build-setup.log 2>&1; then
    grep -E "error|warning: " .build-setup.log | head -40 >&2 || tail -40 .build-setup.log >&2
    echo "setup: build failed (full log: .build-setup.log)" >&2
    exit 1
fi
