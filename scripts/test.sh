#!/usr/bin/env bash
# The README's second command: set up (scripts/setup.sh) and run the whole test suite: the Swift
# tests, then the Python package's tests (python/tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Python witnesses the tests compare against (never used by circuitfit itself).
python3 -m pip install -q --disable-pip-version-check numpy scipy scikit-learn h5py pynwb >/dev/null 2>&1 \
    || echo "test: could not pip-install the Python witnesses; tests that need them will say they skipped" >&2
# One BLAS thread per test process: tests run two at a time (--parallel) on CI's two cores.
export OPENBLAS_NUM_THREADS=1
# Release build: the numeric tests train networks, which debug builds run 10–100× slower.
rm -f .build/xunit.xml
# the adversarial suite (Tests/CircuitFitTests/Adversarial*Tests.swift) writes its counts here
export CIRCUITFIT_ADVERSARIAL_COUNTS="$PWD/.build/adversarial-counts"
rm -rf "$CIRCUITFIT_ADVERSARIAL_COUNTS"
set +e
swift test -c release --parallel --xunit-output .build/xunit.xml 2>&1 | tee .build-test.log \
    | grep -vE '^\[[0-9]+/[0-9]+\] (Compiling|Emitting|Linking|Write|Wrapping|Merging|Planning)'
status=${PIPESTATUS[0]}
set -e

# The Python package (python/tests, pytest): installed from ./python into a venv that sees the
# system's packages (NumPy; xarray if present), run against the binary the Swift tests used. Without
# a working venv (Debian's python3 needs python3-venv), the checkout's python/src is used directly
# when NumPy and pytest import.
rm -f .build/pytest.xml
venv=.build/python-venv
py_status=0 python=""
pip_quiet=(-m pip install -q --disable-pip-version-check)
if python3 -m venv --system-site-packages "$venv" >/dev/null 2>&1 \
    && "$venv/bin/python" "${pip_quiet[@]}" numpy pytest >/dev/null 2>&1 \
    && "$venv/bin/python" "${pip_quiet[@]}" --force-reinstall --no-deps ./python >/dev/null 2>&1; then
    python=$PWD/$venv/bin/python
elif python3 -c "import numpy, pytest" 2>/dev/null; then
    echo "test: no venv (apt-get install python3-venv); testing python/src with the system's NumPy and pytest" >&2
    python=python3
    export PYTHONPATH=$PWD/python/src${PYTHONPATH:+:$PYTHONPATH}
fi
if [[ -z $python ]]; then
    echo "test: cannot run the Python package tests: no venv and no NumPy + pytest (apt-get install python3-venv)" >&2
    py_status=1
elif [[ ! -x .build/release/circuitfit ]]; then
    echo "test: cannot run the Python package tests: no .build/release/circuitfit" >&2
    py_status=1
else
    echo "test: Python package tests (python/tests)"
    set +e
    (cd python && CIRCUITFIT_BINARY="$PWD/../.build/release/circuitfit" OPENBLAS_NUM_THREADS=1 \
        "$python" -m pytest tests -q -p no:cacheprovider --junitxml=../.build/pytest.xml)
    py_status=$?
    set -e
fi

# One summary line for both: `swift test --parallel` prints no XCTest summary, so the Swift
# results are counted from its xunit report, the Python ones from pytest's junit report.
count() { [[ -f $2 ]] && { grep -o "$1" "$2" | wc -l || true; } || echo 0; }
swift_total=$(count '<testcase ' .build/xunit.xml) swift_failed=$(count '<failure' .build/xunit.xml)
swift_skipped=$(count '<skipped' .build/xunit.xml)
py_total=$(count '<testcase ' .build/pytest.xml) py_failed=$(( $(count '<failure' .build/pytest.xml) + $(count '<error' .build/pytest.xml) ))
py_skipped=$(count '<skipped' .build/pytest.xml)
passed=$((swift_total - swift_failed - swift_skipped + py_total - py_failed - py_skipped))
echo "tests: $passed passed, $((swift_failed + py_failed)) failed, $((swift_skipped + py_skipped)) skipped" \
     "(Swift $((swift_total - swift_failed - swift_skipped))/$swift_failed/$swift_skipped, Python $((py_total - py_failed - py_skipped))/$py_failed/$py_skipped)"
# adversarial counts per category, summed over the tests that ran
if compgen -G "$CIRCUITFIT_ADVERSARIAL_COUNTS/*.tsv" > /dev/null; then
    cat "$CIRCUITFIT_ADVERSARIAL_COUNTS"/*.tsv | awk -F'\t' '
        { c[$1]+=$2; e[$1]+=$3; h[$1]+=$4; s[$1]+=$5; g[$1]+=$6; z[$1]+=$7; f[$1]+=$8; o[$1]+=$9 }
        END { for (k in c) { printf "adversarial %-22s %4d cases: %4d clean errors, %3d handled; %d signals, %d hangs, %d exit-0-on-garbage, %d empty folders, %d other failures\n", k ":", c[k], e[k], h[k], s[k], g[k], z[k], f[k], o[k]
                             tc+=c[k]; ts+=s[k]; tg+=g[k]; tz+=z[k]; tf+=f[k] }
              printf "~total: %d cases, %d signals, %d hangs, %d exit-0-on-garbage, %d empty folders\n", tc, ts, tg, tz, tf }' \
        | sort | sed 's/^~total/adversarial total/'
fi
if ((status != 0)); then exit "$status"; fi
exit "$py_status"
