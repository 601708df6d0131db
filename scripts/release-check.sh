#!/usr/bin/env bash
# Checks a release built by scripts/release.sh, in one command (run as root: it uses namespaces):
#
#   bash scripts/release-check.sh [--rounds N] [--iterations N] [--skip-wheel]
#
# 1. The archive's checksums, and `ldd` of its binary (only glibc may appear).
# 2. The binary runs with no Swift toolchain reachable, two ways: in a private mount namespace
#    with an empty folder mounted over the toolchain (the source build is shown failing there),
#    and in a chroot holding nothing but the binary and the glibc files ldd lists.
# 3. Same numbers as the source build (.build/release/circuitfit, built if missing): generate,
#    train, evaluate, simulate and compare with fixed seeds and one thread, outputs compared byte
#    for byte (history.csv and config.json without their wall-time fields).
# 4. As fast: `train` timed for both binaries interleaved (ABAB…, --rounds N, default 5, each
#    --iterations N, default 300, of the default H = 200, M = 20 fit, one thread), medians and ratio.
#    With scripts/bench-compare.sh present, also the per-iteration benchmark of both builds.
# 5. The wheel in a fresh venv (numpy from PyPI), with the toolchain hidden and no circuitfit on
#    PATH: it installs and docs/python.md's example runs (--skip-wheel skips this).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
die() { echo "release-check: $*" >&2; exit 1; }
rounds=5 iterations=300 wheel_check=1
while (($#)); do
    case $1 in
        --rounds) rounds=$2; shift 2 ;;
        --iterations) iterations=$2; shift 2 ;;
        --skip-wheel) wheel_check=0; shift ;;
        *) die "unknown option $1 (usage: bash scripts/release-check.sh [--rounds N] [--iterations N] [--skip-wheel])" ;;
    esac
done
[[ $(id -u) -eq 0 ]] || die "needs root (unshare, mount, chroot)"
version=$(sed -n 's/.*static let string = "\(.*\)".*/\1/p' Sources/CircuitFitCore/Version.swift)
name=circuitfit-$version-linux-x86_64
[[ -f dist/$name.tar.gz ]] || die "no dist/$name.tar.gz: run scripts/release.sh first"
work=$(mktemp -d /tmp/circuitfit-release-check.XXXXXX)
trap 'rm -rf "$work"' EXIT
section() { printf '\n== %s\n' "$*"; }

section "1. archive, checksums, ldd"
(cd dist && sha256sum -c SHA256SUMS)
tar -xzf "dist/$name.tar.gz" -C "$work"
release=$work/$name/bin/circuitfit
(cd "$work/$name" && sha256sum -c --quiet SHA256SUMS) && echo "archive contents match their SHA256SUMS"
echo "ldd $name/bin/circuitfit:"
ldd "$release" | sed 's/ (0x[0-9a-f]*)//; s/^/  /'
ldd "$release" | grep -qiE 'swift|Foundation|dispatch|openblas|lapack|hdf5|libz\.|gfortran|stdc\+\+' &&
    die "the release binary loads a library it should contain"
echo "glibc symbol versions needed, newest: $(objdump -T "$release" | grep -o 'GLIBC_[0-9.]*' | sort -Vu | tail -1)"

source_build=.build/release/circuitfit
if [[ ! -x $source_build ]]; then
    echo "building the source build (swift build -c release --product circuitfit)"
    swift build -c release --product circuitfit > "$work/source-build.log" 2>&1 || die "source build failed: $work/source-build.log"
fi
source_build=$(readlink -f "$source_build")
toolchain=$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")")  # e.g. /opt/swift

section "2a. toolchain hidden: an empty folder mounted over $toolchain (private mount namespace)"
mkdir -p "$work/empty" "$work/hidden"
hidden() { unshare -m sh -c "mount --bind '$work/empty' '$toolchain' && exec \"\$@\"" hidden "$@"; }
echo "  ls $toolchain inside: '$(hidden ls -A "$toolchain")' (empty)"
if out=$(hidden "$source_build" --version 2>&1); then
    die "the source build ran with the toolchain hidden ($out): the hiding does not work"
fi
echo "  source build there: $(head -1 <<<"$out")"
export OPENBLAS_NUM_THREADS=1
hidden "$release" generate --out "$work/hidden/circuit" --neurons 40 --seed 3 > /dev/null 2>&1 || die "release binary failed with the toolchain hidden"
hidden "$release" train "$work/hidden/circuit/dataset.npz" --out "$work/hidden/fit" --record 10 --hidden 40 --iterations 200 --seed 2 > /dev/null 2>&1 ||
    die "release train failed with the toolchain hidden"
echo "  release binary there: generate and train ran ($(ls "$work/hidden/fit" | tr '\n' ' '))"

section "2b. chroot with only the binary and glibc"
jail=$work/jail
mkdir -p "$jail/bin" "$jail/work" "$jail/tmp" "$jail/dev" "$jail/proc"
cp "$release" "$jail/bin/circuitfit"
for lib in $(ldd "$release" | grep -o '/[^ ]*'); do
    mkdir -p "$jail$(dirname "$lib")" && cp -L "$lib" "$jail$lib"
done
echo "  files in the chroot: $(cd "$jail" && find . -type f | sort | tr '\n' ' ')"
in_jail() {
    unshare -m sh -c "mount --bind /dev '$jail/dev' && mount -t proc proc '$jail/proc' && exec chroot '$jail' \"\$@\"" jail "$@"
}
in_jail /bin/circuitfit generate --out /work/circuit --neurons 40 --seed 3 > /dev/null 2>&1 || die "generate failed in the chroot"
in_jail /bin/circuitfit train /work/circuit/dataset.npz --out /work/fit --record 10 --hidden 40 --iterations 200 --seed 2 > /dev/null 2>&1 ||
    die "train failed in the chroot"
echo "  generate and train ran in the chroot"

section "3. same numbers as the source build"
run_set() { # binary folder
    local b=$1 d=$2
    mkdir -p "$d"
    "$b" generate --out "$d/circuit" --neurons 40 --seed 3 > "$d/generate.txt" 2>/dev/null
    "$b" train "$d/circuit/dataset.npz" --out "$d/fit" --record 10 --hidden 40 --iterations 200 --seed 2 > /dev/null 2>&1
    "$b" evaluate "$d/fit" "$d/circuit/dataset.npz" --json > "$d/evaluate.json"
    "$b" simulate "$d/fit" "$d/circuit/dataset.npz" --out "$d/simulate.npz" 2>/dev/null
    "$b" compare "$d/simulate.npz" "$d/circuit/dataset.npz" --json | grep -v '"file"' > "$d/compare.json"
}
run_set "$source_build" "$work/source"
run_set "$release" "$work/release"
same() { # file: identical bytes in every run folder (after dropping wall times)
    local f=$1 a b
    a=$(strip_times "$work/source/$f"); b=$(strip_times "$work/release/$f")
    [[ $a == "$b" ]] || die "$f differs between the source build and the release binary"
    for other in hidden jail/work; do
        [[ -f $work/$other/$f ]] || continue
        [[ $(strip_times "$work/$other/$f") == "$a" ]] || die "$f differs in the $other run"
    done
    echo "  identical: $f ($(wc -c < "$work/source/$f") bytes)$( [[ -f $work/hidden/$f ]] && echo ', also with the toolchain hidden and in the chroot')"
}
strip_times() {
    case $1 in
        *history.csv) cut -d, -f1-5 "$1" ;;                            # last column: seconds
        *.json) grep -vE '"(seconds|dataset)"' "$1" ;;                 # wall time, absolute path
        *) sha256sum < "$1" ;;
    esac
}
for f in circuit/circuit.npz circuit/dataset.npz circuit/summary.json fit/model.npz fit/metrics.json fit/history.csv \
         fit/config.json evaluate.json simulate.npz compare.json; do
    same "$f"
done

section "4. speed: train, both binaries interleaved (ABAB…)"
# the circuit's size does not enter training (only its M recorded neurons and outputs do): a small
# one is generated quickly, and the fit is the default H = 200, M = 20, 8 conditions, 120 steps
"$release" generate --out "$work/speed-circuit" --neurons 60 > /dev/null 2>&1
echo "  load average at start: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores; $rounds rounds of $iterations iterations (H = 200, M = 20)"
seconds() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seconds"])' "$1/config.json"; }
a=() b=()
for ((r = 1; r <= rounds; r++)); do
    for which in source release; do
        bin=$source_build; [[ $which == release ]] && bin=$release
        rm -rf "$work/speed-$which"
        "$bin" train "$work/speed-circuit/dataset.npz" --out "$work/speed-$which" --record 20 --iterations "$iterations" > /dev/null 2>&1
        s=$(seconds "$work/speed-$which")
        if [[ $which == source ]]; then a+=("$s"); else b+=("$s"); fi
    done
    printf '  round %d: source %.3f s, release %.3f s\n' "$r" "${a[-1]}" "${b[-1]}"
done
python3 - "${a[*]}" "${b[*]}" <<'EOF'
import statistics, sys
a = [float(x) for x in sys.argv[1].split()]; b = [float(x) for x in sys.argv[2].split()]
ma, mb = statistics.median(a), statistics.median(b)
ratios = statistics.median(y / x for x, y in zip(a, b))
print(f"  median train time: source {ma:.3f} s, release {mb:.3f} s; release/source {mb / ma:.3f} (median of per-round ratios {ratios:.3f})")
EOF
echo "  load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ -f scripts/bench-compare.sh ]]; then
    echo "  per-iteration benchmark (scripts/bench-compare.sh, A = source build, B = static build):"
    swift build -c release --product circuitfit-bench > "$work/bench-build.log" 2>&1 || die "bench build failed: $work/bench-build.log"
    PKG_CONFIG_PATH=$root/.build-release/static-deps/pkgconfig swift build -c release --static-swift-stdlib \
        --scratch-path .build-release --product circuitfit-bench -Xlinker "$root/.build-release/static-deps/glibc-compat.o" -Xlinker --build-id=none \
        > "$work/bench-static-build.log" 2>&1 || die "static bench build failed: $work/bench-static-build.log"
    bash scripts/bench-compare.sh .build/release/circuitfit-bench .build-release/release/circuitfit-bench --rounds "$rounds" | sed 's/^/    /'
fi

if ((wheel_check)); then
    section "5. the wheel in a fresh venv, toolchain hidden, no circuitfit on PATH"
    wheel=$(ls dist/circuitfit-"$version"-py3-none-*.whl)
    python3 -m venv "$work/venv"
    "$work/venv/bin/pip" install -q "$wheel" || die "pip install $wheel failed"
    "$work/venv/bin/pip" list 2>/dev/null | grep -iE '^(circuitfit|numpy) ' | sed 's/^/  installed: /'
    python3 python/tests/test_docs_example.py > "$work/example.py"
    mkdir -p "$work/example"
    (cd "$work/example" && hidden env -u CIRCUITFIT_BINARY PATH="$work/venv/bin:/usr/bin:/bin" \
        "$work/venv/bin/python" -c 'import circuitfit as cf; print("  binary:", cf.binary_path())
exec(open("'"$work/example.py"'").read())' > "$work/example.log" 2>&1) || { cat "$work/example.log"; die "the example failed"; }
    grep "binary:" "$work/example.log"
    echo "  docs/python.md's example ran ($(grep -c '' "$work/example.log") lines of output); last lines:"
    tail -3 "$work/example.log" | sed 's/^/    /'
fi
echo
echo "release-check: all checks passed"
