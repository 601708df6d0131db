// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "CircuitFit",
    products: [
        .library(name: "CircuitFit", targets: ["CircuitFit"]),
        .executable(name: "circuitfit", targets: ["circuitfit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // OpenBLAS (cblas) + LAPACKE, from Debian's libopenblas-dev and liblapacke-dev.
        .systemLibrary(
            name: "COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]),
        // zlib, from Debian's zlib1g-dev: CRC-32 for NPZ and inflate for numpy.savez_compressed files.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // HDF5 1.10, from Debian's libhdf5-dev: NWB files and MATLAB v7.3 MAT files.
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .target(
            name: "CircuitFit",
            dependencies: ["COpenBLAS", "CZlib", "CHDF5"]),
        .executableTarget(
            name: "circuitfit",
            dependencies: [
                "CircuitFit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Benchmarks (not part of the test suite): `scripts/bench.sh` runs them against PyTorch.
        .executableTarget(name: "circuitfit-bench", dependencies: ["CircuitFit"]),
        .testTarget(name: "CircuitFitTests", dependencies: ["CircuitFit"], exclude: ["Fixtures"]),
    ]
)
