#!/usr/bin/env bash
# Builds a release: the self-contained Linux x86-64 binary, the archive and the Python wheel.
#
#   bash scripts/release.sh            # → dist/circuitfit-VERSION-linux-x86_64.tar.gz,
#                                      #   dist/circuitfit-VERSION-py3-none-manylinux_2_NN_x86_64.whl,
#                                      #   dist/SHA256SUMS
#
# The binary links the Swift runtime and Foundation (--static-swift-stdlib), OpenBLAS, LAPACKE,
# gfortran's runtime, HDF5 (+ szip/libaec), zlib and libstdc++ statically (scripts/static-deps.sh);
# it needs only glibc ≥ 2.34 (libc, libm, libgcc_s), checked below with ldd and objdump. Build
# folder: .build-release (git-ignored). Same sources, same numbers as the normal build:
# scripts/release-check.sh proves it (no toolchain reachable, bit-identical outputs, speed, wheel
# in a fresh venv). Everything is written with fixed timestamps (SOURCE_DATE_EPOCH, default the
# last commit's time), so two runs on the same machine give the same archive and wheel.
#
# Needs the Swift toolchain and the Debian packages of scripts/setup.sh plus libgfortran-12-dev
# (installed when run as root).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
die() { echo "release: $*" >&2; exit 1; }

# --- versions must agree ---------------------------------------------------------------------
version=$(sed -n 's/.*static let string = "\(.*\)".*/\1/p' Sources/CircuitFitCore/Version.swift)
[[ -n $version ]] || die "could not read the version from Sources/CircuitFitCore/Version.swift"
py_version=$(sed -n 's/^version = "\(.*\)"/\1/p' python/pyproject.toml)
init_version=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' python/src/circuitfit/__init__.py)
[[ $py_version == "$version" && $init_version == "$version" ]] ||
    die "versions differ: Version.swift $version, python/pyproject.toml $py_version, __init__.py $init_version"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 315532800)}

# --- build dependencies ----------------------------------------------------------------------
command -v swift >/dev/null || die "the Swift toolchain (swift) is not on PATH"
gcc_major=$(basename "$(dirname "$(clang -print-libgcc-file-name 2>/dev/null || echo /12/x)")")
packages=(libopenblas-dev liblapacke-dev libhdf5-dev libaec-dev zlib1g-dev pkg-config "libgfortran-$gcc_major-dev"
          "libstdc++-$gcc_major-dev" python3)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if command -v python3 >/dev/null; then missing=("${missing[@]/python3}"); read -r -a missing <<< "${missing[*]:-}"; fi
if ((${#missing[@]})); then
    [[ $(id -u) -eq 0 ]] || die "missing Debian packages: ${missing[*]} (sudo apt-get install -y ${missing[*]})"
    echo "release: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- the static binary -----------------------------------------------------------------------
scratch=.build-release
deps=$scratch/static-deps
mkdir -p "$scratch"
bash scripts/static-deps.sh "$deps" > "$scratch/archives.txt"
echo "release: building circuitfit $version (release, static; log $scratch/build.log)" >&2
# --build-id=none: the linker's build id hashes the whole output, including the module hashes below
build=(swift build -c release --static-swift-stdlib --scratch-path "$scratch" --product circuitfit
       -Xlinker "$root/$deps/glibc-compat.o" -Xlinker --build-id=none)
if ! PKG_CONFIG_PATH="$root/$deps/pkgconfig" "${build[@]}" > "$scratch/build.log" 2>&1; then
    grep -E "error" "$scratch/build.log" | head -20 >&2 || tail -20 "$scratch/build.log" >&2
    die "build failed (full log: $scratch/build.log)"
fi
binary=$scratch/release/circuitfit

# Only glibc may be loaded at run time: no toolchain library, no Debian library of ours.
allowed='^(linux-vdso\.so\.1|libc\.so\.6|libm\.so\.6|libgcc_s\.so\.1|ld-linux-x86-64\.so\.2|/lib64/ld-linux-x86-64\.so\.2)$'
unexpected=$(ldd "$binary" | awk '{print $1}' | grep -Ev "$allowed" || true)
[[ -z $unexpected ]] || die "$binary loads libraries beyond glibc: $(echo $unexpected)"
glibc=$(objdump -T "$binary" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1)
[[ $glibc =~ ^2\.([0-9]+)$ ]] || die "could not read the glibc version $binary needs (got '$glibc')"
platform="manylinux_2_${BASH_REMATCH[1]}_x86_64"

# --- the archive -----------------------------------------------------------------------------
name=circuitfit-$version-linux-x86_64
stage=$scratch/stage/$name
rm -rf "$scratch/stage" && mkdir -p "$stage/bin" "$stage/LICENSES"
strip -o "$stage/bin/circuitfit" "$binary"
# swiftc stamps each module's object with a 16-byte hash of its LLVM IR (.swift_modhash), which
# depends on the folder it was built in and is never read at run time: zeroed, so the same commit
# built in any folder gives the same bytes.
modhash_size=$(readelf -SW "$stage/bin/circuitfit" | sed -n 's/.*\.swift_modhash *[A-Z]* *[0-9a-f]* *[0-9a-f]* *\([0-9a-f]*\).*/\1/p')
if [[ -n $modhash_size ]]; then
    head -c "$((16#$modhash_size))" /dev/zero > "$scratch/modhash-zeros"
    objcopy --update-section .swift_modhash="$scratch/modhash-zeros" "$stage/bin/circuitfit"
fi
cp README.md "$stage/README.md"
# Licence texts of everything the binary bundles: Debian's copyright file of each package whose
# archive is linked in, the Swift runtime/Foundation, swift-argument-parser, ICU (Foundation's data).
while read -r package archive; do
    owner=$(dpkg -S "$archive" 2>/dev/null | head -1 | cut -d: -f1) || true
    owner=${owner:-$package}
    [[ -f /usr/share/doc/$owner/copyright ]] || die "no /usr/share/doc/$owner/copyright for $archive"
    cp -L "/usr/share/doc/$owner/copyright" "$stage/LICENSES/$owner.copyright"
done < "$scratch/archives.txt"
swift_root=$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")
cp "$swift_root/share/swift/LICENSE.txt" "$stage/LICENSES/swift-runtime-and-foundation.txt"
cp "$scratch/checkouts/swift-argument-parser/LICENSE.txt" "$stage/LICENSES/swift-argument-parser.txt"
icu_licence=$(ls /usr/share/icu/*/LICENSE /usr/share/doc/libicu[0-9]*/copyright 2>/dev/null | head -1 || true)
[[ -n $icu_licence ]] || die "no ICU licence text (Debian's libicu package has it: apt-get install libicu72)"
cp "$icu_licence" "$stage/LICENSES/icu.txt"
icu_data=$(nm "$binary" 2>/dev/null | grep -o 'icudt[0-9]*_dat' | head -1 || echo icudt)
cat > "$stage/LICENSES/README.txt" <<EOF
Licences of the software linked into bin/circuitfit (CircuitFit $version).

- *.copyright: Debian's copyright files of the packages whose static libraries are linked in
  (OpenBLAS with its LAPACK, LAPACKE, HDF5, szip/libaec, zlib, and GCC's libgfortran,
  libquadmath and libstdc++, under the GCC Runtime Library Exception).
- swift-runtime-and-foundation.txt: the Swift toolchain's licence (Apache 2.0 with the Runtime
  Library Exception): Swift standard library, Foundation, Dispatch.
- swift-argument-parser.txt: swift-argument-parser (Apache 2.0).
- icu.txt: the ICU licence. Foundation bundles ICU data ($icu_data, from
  https://github.com/swiftlang/swift-foundation-icu); the text here is the one Debian ships with
  its own ICU ($icu_licence).
EOF
cat > "$stage/BUILD-INFO.txt" <<EOF
circuitfit $version, built $(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ) from commit $(git rev-parse HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')
toolchain: $(swift --version 2>&1 | head -1)
needs: Linux x86-64 with glibc >= $glibc (libc.so.6, libm.so.6, libgcc_s.so.1); nothing else
linked statically (Debian package versions):
$(while read -r package archive; do echo "  $(basename "$archive") from $(dpkg-query -W -f='${Package} ${Version}' "$(dpkg -S "$archive" | head -1 | cut -d: -f1)")"; done < "$scratch/archives.txt")
EOF
(cd "$stage" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort | xargs sha256sum > SHA256SUMS)
mkdir -p dist
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
    -C "$scratch/stage" -cf - "$name" | gzip -n -9 > "dist/$name.tar.gz"

# --- the wheel -------------------------------------------------------------------------------
rm -f dist/circuitfit-"$version"-py3-none-*.whl
wheel=$(cd python && python3 -c '
import sys
sys.path.insert(0, "build_backend")
import circuitfit_build
print(circuitfit_build.build_wheel(sys.argv[1], {"binary": sys.argv[2], "platform": sys.argv[3], "licenses": sys.argv[4]}))
' "$root/dist" "$root/$stage/bin/circuitfit" "$platform" "$root/$stage/LICENSES")

(cd dist && sha256sum "$name.tar.gz" "$wheel" > SHA256SUMS)
size() { du -h "$1" | cut -f1; }
echo "release: circuitfit $version (needs glibc ≥ $glibc; binary $(size "$stage/bin/circuitfit") stripped)"
echo "  dist/$name.tar.gz ($(size "dist/$name.tar.gz"))"
echo "  dist/$wheel ($(size "dist/$wheel"))"
echo "  dist/SHA256SUMS"
