// swift-tools-version:6.0
import PackageDescription

// The layers, bottom to top. A target may import only the targets listed as its dependencies,
// and those are always lower layers: the graph is one-way, the compiler enforces it (an import of
// a target that is not a dependency does not build), and `LayeringTests` checks that the
// sources' imports and this file agree with the table in docs/method.md § Code layout.
//
//   CircuitFitCore        numerics (BLAS/LAPACK, the AVX2 kernels of the RNN), NPY/NPZ/zip I/O, atomic files, the dataset
//                         file, errors, exit codes, version
//   CircuitFitModel       the model RNN: forward and backward passes, the objective, Adam, the trainer
//   CircuitFitAnalysis    metrics on populations: PCA, CCA, Procrustes, held-out-neuron R², Wilcoxon
//   CircuitFitImport      recordings (NWB, MAT, NPZ) → datasets, split-half reliability; the
//                         only target that links libhdf5
//   CircuitFitReport      SVG figures and self-contained HTML reports (no science)
//   CircuitFitCircuit     the ground-truth SOC circuit and its reaching dataset
//   CircuitFitAudit       the mechanism audit of a model against the circuit: fixed points,
//                         linearisations, transient amplification, DSA, perturbations, jPCA
//   CircuitFitFitting     one fit: configuration, recorded neurons, training, evaluation, files,
//                         the report of one fit
//   CircuitFitExperiment  the paper's experiment: plan, backends (local, Slurm), claims, report
//   circuitfit            the command-line program (options, dispatch, printing)
let core: Target.Dependency = "CircuitFitCore"

let package = Package(
    name: "CircuitFit",
    products: [
        .library(
            name: "CircuitFit",
            targets: [
                "CircuitFitCore", "CircuitFitModel", "CircuitFitAnalysis", "CircuitFitImport",
                "CircuitFitReport", "CircuitFitCircuit", "CircuitFitAudit", "CircuitFitFitting", "CircuitFitExperiment",
            ]),
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
        // zlib, from Debian's zlib1g-dev: CRC-32 and inflate for NPZ and MAT files.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // HDF5 1.10, from Debian's libhdf5-dev: NWB files and MATLAB v7.3 MAT files.
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),

        // Our own C: AVX2 + FMA kernels of the model's two hot loops, the per-step recurrent
        // product (OpenBLAS repacks the [H, H] operand on every call at these shapes) and tanh,
        // chosen at run time (no unsafe flags: the package stays usable as a dependency).
        .target(name: "CKernels"),
        .target(name: "CircuitFitCore", dependencies: ["COpenBLAS", "CZlib", "CKernels"]),
        .target(name: "CircuitFitModel", dependencies: [core]),
        .target(name: "CircuitFitAnalysis", dependencies: [core]),
        .target(name: "CircuitFitImport", dependencies: [core, "CircuitFitAnalysis", "CZlib", "CHDF5"]),
        .target(name: "CircuitFitReport", dependencies: [core]),
        .target(name: "CircuitFitCircuit", dependencies: [core, "CircuitFitAnalysis"]),
        .target(
            name: "CircuitFitAudit",
            dependencies: [core, "CircuitFitModel", "CircuitFitAnalysis", "CircuitFitCircuit"]),
        .target(
            name: "CircuitFitFitting",
            dependencies: [core, "CircuitFitModel", "CircuitFitAnalysis", "CircuitFitReport", "CircuitFitAudit"]),
        .target(
            name: "CircuitFitExperiment",
            dependencies: [
                core, "CircuitFitModel", "CircuitFitAnalysis", "CircuitFitReport", "CircuitFitCircuit",
                "CircuitFitAudit", "CircuitFitFitting",
            ]),
        .executableTarget(
            name: "circuitfit",
            dependencies: [
                core, "CircuitFitModel", "CircuitFitAnalysis", "CircuitFitImport", "CircuitFitReport",
                "CircuitFitCircuit", "CircuitFitAudit", "CircuitFitFitting", "CircuitFitExperiment",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Benchmarks (not part of the test suite): `scripts/bench.sh` runs them against PyTorch.
        .executableTarget(
            name: "circuitfit-bench",
            dependencies: [
                core, "CircuitFitModel", "CircuitFitFitting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Helpers only the tests use (a sample report, running the CLI as a child process).
        .target(
            name: "CircuitFitTestSupport",
            dependencies: [core, "CircuitFitReport"]),
        .testTarget(
            name: "CircuitFitTests",
            dependencies: [
                core, "CircuitFitModel", "CircuitFitAnalysis", "CircuitFitImport", "CircuitFitReport",
                "CircuitFitCircuit", "CircuitFitAudit", "CircuitFitFitting", "CircuitFitExperiment", "CircuitFitTestSupport",
            ],
            exclude: ["Fixtures"]),
    ]
)
