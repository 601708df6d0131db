#!/usr/bin/env bash
# Prepares DIR (default .build-release/static-deps) so that a SwiftPM build run with
# PKG_CONFIG_PATH=DIR/pkgconfig links OpenBLAS, LAPACKE, gfortran's runtime, HDF5 (with szip/libaec),
# zlib and libstdc++ statically, from Debian's own .a files. Used by scripts/release.sh.
#
# How: each system-library target of Package.swift asks pkg-config for its flags (openblas, hdf5,
# zlib). Our .pc files put DIR/lib first on the library path, and DIR/lib holds, under the names
# the module maps link (libopenblas.so, liblapacke.so, libhdf5.so, libz.so, libstdc++.so), GNU ld
# linker scripts that GROUP the static archives. A GROUP is searched until no new symbol resolves,
# so the archives' order (LAPACKE → OpenBLAS's LAPACK → gfortran → quadmath) does not matter.
# It also compiles DIR/glibc-compat.o, which the release link adds (see below).
# Prints the archives used, one per line, as "PACKAGE ARCHIVE" (for the licence files).
set -euo pipefail

dir=${1:-.build-release/static-deps}
die() { echo "static-deps: $*" >&2; exit 1; }
command -v pkg-config >/dev/null || die "pkg-config is not installed (apt-get install pkg-config)"

# An archive the C compiler knows (gcc's runtime folder), or "".
compiler_archive() {
    local cc f
    for cc in clang gcc cc; do
        command -v "$cc" >/dev/null || continue
        f=$("$cc" -print-file-name="$1" 2>/dev/null) || continue
        [[ $f == /* && -f $f ]] && { echo "$f"; return; }
    done
    echo ""
}
# The first existing file among the arguments, or an error naming the package to install.
first_file() {
    local package=$1; shift
    local f
    for f in "$@"; do [[ -n $f && -f $f ]] && { readlink -f "$f"; return; }; done
    die "no $(basename "$1") found (tried: $*); install the Debian package $package"
}

multiarch=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
openblas_libdir=$(pkg-config --variable=libdir openblas 2>/dev/null) || die "pkg-config knows no openblas (apt-get install libopenblas-dev)"
hdf5_libdir=$(pkg-config --libs-only-L hdf5 2>/dev/null | sed 's/^ *-L//; s/ .*//') || die "pkg-config knows no hdf5 (apt-get install libhdf5-dev)"

openblas=$(first_file libopenblas-dev "${openblas_libdir%/}/libopenblas.a")
lapacke=$(first_file liblapacke-dev "$multiarch/liblapacke.a")
gfortran=$(first_file libgfortran-12-dev "$(compiler_archive libgfortran.a)")
quadmath=$(first_file libgcc-12-dev "$(compiler_archive libquadmath.a)")
hdf5=$(first_file libhdf5-dev "$hdf5_libdir/libhdf5.a" "$multiarch/libhdf5_serial.a")
sz=$(first_file libaec-dev "$multiarch/libsz.a")
aec=$(first_file libaec-dev "$multiarch/libaec.a")
zlib=$(first_file zlib1g-dev "$multiarch/libz.a")
stdcxx=$(first_file libstdc++-12-dev "$(compiler_archive libstdc++.a)")

# HDF5 is built with the read-only S3 driver (libcurl, libcrypto): no CircuitFit code reaches it,
# so its object files are never pulled from the archive and neither library is needed.
rm -rf "$dir"
mkdir -p "$dir/lib" "$dir/pkgconfig"
lib=$(cd "$dir/lib" && pwd)
script() { printf '/* written by scripts/static-deps.sh: link these archives statically */\nGROUP ( %s )\n' "$*"; }
script "$lapacke" "$openblas" "$gfortran" "$quadmath" > "$lib/libopenblas.so"
script "$lapacke" "$openblas" "$gfortran" "$quadmath" > "$lib/liblapacke.so"
script "$hdf5" "$sz" "$aec" "$zlib" > "$lib/libhdf5.so"
script "$zlib" > "$lib/libz.so"
script "$stdcxx" > "$lib/libstdc++.so"

# glibc compatibility: linked on Debian 12 (glibc 2.36), the binary would need glibc 2.36 only for
# arc4random (static libstdc++'s std::random_device) and 2.35 only for hypot/hypotf (Swift's
# Foundation and Glibc overlay, which bind the newest symbol version). This object defines them
# inside the binary (hidden): hypot/hypotf forward to glibc's original GLIBC_2.2.5 versions (the
# same implementation since 2.35, only errno wrappers differ), arc4random reads getrandom(2)
# (glibc 2.25). CircuitFit's own random draws never use either. The floor is then glibc 2.34.
cat > "$dir/glibc-compat.c" <<'C'
#include <stdint.h>
#include <sys/random.h>
#define HIDDEN __attribute__((visibility("hidden")))
double cf_hypot_glibc225(double, double);
float cf_hypotf_glibc225(float, float);
__asm__(".symver cf_hypot_glibc225, hypot@GLIBC_2.2.5");
__asm__(".symver cf_hypotf_glibc225, hypotf@GLIBC_2.2.5");
HIDDEN double hypot(double x, double y) { return cf_hypot_glibc225(x, y); }
HIDDEN float hypotf(float x, float y) { return cf_hypotf_glibc225(x, y); }
HIDDEN uint32_t arc4random(void) {
    uint32_t value;
    while (getrandom(&value, sizeof value, 0) != (ssize_t)sizeof value) {}
    return value;
}
C
cc=$(command -v clang || command -v gcc || command -v cc) || die "no C compiler (clang comes with the Swift toolchain)"
"$cc" -O2 -fPIC -c "$dir/glibc-compat.c" -o "$dir/glibc-compat.o" || die "could not compile $dir/glibc-compat.c"

pc() { # name, cflags
    printf 'Name: %s\nDescription: %s linked statically (scripts/static-deps.sh)\nVersion: %s\nLibs: -L%s -l%s\nCflags: %s\n' \
        "$1" "$1" "$(pkg-config --modversion "$1")" "$lib" "$2" "$(pkg-config --cflags "$1")" > "$dir/pkgconfig/$1.pc"
}
pc openblas openblas
pc hdf5 hdf5
pc zlib z

printf '%s %s\n' libopenblas-dev "$openblas" liblapacke-dev "$lapacke" libgfortran-12-dev "$gfortran" \
    libgcc-12-dev "$quadmath" libhdf5-dev "$hdf5" libaec-dev "$sz" libaec-dev "$aec" zlib1g-dev "$zlib" \
    libstdc++-12-dev "$stdcxx"
