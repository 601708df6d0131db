#!/usr/bin/env bash
# The README's second command: set up (scripts/setup.sh) and run the whole test suite.
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
set +e
swift test -c release --parallel --xunit-output .build/xunit.xml 2>&1 | tee .build-test.log \
    | grep -vE '^\[[0-9]+/[0-9]+\] (Compiling|Emitting|Linking|Write|Wrapping|Merging|Planning)'
status=${PIPESTATUS[0]}
set -e
# `swift test --parallel` prints no XCTest summary: count the results from its xunit report.
if [[ -f .build/xunit.xml ]]; then
    count() { grep -o "$1" .build/xunit.xml | wc -l || true; }
    total=$(count '<testcase ')
    failed=$(count '<failure')
    skipped=$(count '<skipped')
    echo "tests: $((total - failed - skipped)) passed, $failed failed, $skipped skipped"
fi
exit "$status"
