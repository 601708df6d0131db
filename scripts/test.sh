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
# the adversarial suite (Tests/CircuitFitTests/Adversarial*Tests.swift) writes its counts here
export CIRCUITFIT_ADVERSARIAL_COUNTS="$PWD/.build/adversarial-counts"
rm -rf "$CIRCUITFIT_ADVERSARIAL_COUNTS"
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
# adversarial counts per category, summed over the tests that ran
if compgen -G "$CIRCUITFIT_ADVERSARIAL_COUNTS/*.tsv" > /dev/null; then
    cat "$CIRCUITFIT_ADVERSARIAL_COUNTS"/*.tsv | awk -F'\t' '
        { c[$1]+=$2; e[$1]+=$3; h[$1]+=$4; s[$1]+=$5; g[$1]+=$6; z[$1]+=$7; f[$1]+=$8; o[$1]+=$9 }
        END { for (k in c) { printf "adversarial %-22s %4d cases: %4d clean errors, %3d handled; %d signals, %d hangs, %d exit-0-on-garbage, %d empty folders, %d other failures\n", k ":", c[k], e[k], h[k], s[k], g[k], z[k], f[k], o[k]
                             tc+=c[k]; ts+=s[k]; tg+=g[k]; tz+=z[k]; tf+=f[k] }
              printf "~total: %d cases, %d signals, %d hangs, %d exit-0-on-garbage, %d empty folders\n", tc, ts, tg, tz, tf }' \
        | sort | sed 's/^~total/adversarial total/'
fi
exit "$status"
