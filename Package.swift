// swift-tools-version: 6.0
// Toy Models of Superposition, reproduced: package layout.
// Layers, imported top to bottom only:
//   Engine (numerics: RNG, models, AdamW, metrics; OpenBLAS's LAPACK for small eigenproblems; CVector, a C header
//           of lane-wise vector operations the standard library runs lane by lane)   Plot (Cairo figures)   Report (claims, Markdown, HTML)
//   Experiments (one file per paper section; joins the three, plus the cache and the pipeline)
//   PaperCLI (the thin `paper` command)
import PackageDescription

// The engine is built for this machine's processor (fused multiply-adds and wide vectors in hardware; results do
// not depend on it, since FMA is exactly rounded and every sum has a fixed order), without bounds checks in release.
let engineSettings: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", "native"]),
    .unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
]

// Builds on Linux on x86-64 only (the kernels read /proc/cpuinfo and assume AVX2 fused multiply-adds; Cairo, cmark-gfm
// and OpenBLAS come from Debian's packages). A manifest can name only Apple platforms, so none is listed.
let package = Package(
    name: "toy-models-of-superposition",
    products: [
        .executable(name: "paper", targets: ["PaperCLI"]),
        // The training engine for other packages. Its unsafe flags (-target-cpu native) mean SwiftPM accepts it only
        // as a local (path) or branch dependency, not by version.
        .library(name: "Engine", targets: ["Engine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CCairo", pkgConfig: "cairo-ft", providers: [.apt(["libcairo2-dev"])]),
        .systemLibrary(name: "CCmark", pkgConfig: "libcmark-gfm",
                       providers: [.apt(["libcmark-gfm-dev", "libcmark-gfm-extensions-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .target(name: "CVector"),
        .target(name: "Engine", dependencies: ["COpenBLAS", "CVector"], swiftSettings: engineSettings),
        .target(name: "Plot", dependencies: ["CCairo"]),
        .target(name: "Report", dependencies: ["CCmark"]),
        // The results cache is keyed by a hash of the code that computes them, made at build time.
        .executableTarget(name: "CodeHasher"),
        .plugin(name: "CodeHashPlugin", capability: .buildTool(), dependencies: ["CodeHasher"]),
        .target(name: "Experiments", dependencies: ["Engine", "Plot", "Report"], plugins: ["CodeHashPlugin"]),
        .executableTarget(name: "PaperCLI", dependencies: [
            "Experiments", "COpenBLAS",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The tests read these files by path (#filePath), so they are excluded from the targets, not bundled.
        .testTarget(name: "EngineTests", dependencies: ["Engine", "CVector"], exclude: ["torch-replay.json"]),
        .testTarget(name: "PlotTests", dependencies: ["Plot"]),
        .testTarget(name: "ReportTests", dependencies: ["Report"]),
        .testTarget(name: "ExperimentsTests", dependencies: ["Experiments"]),
        .testTarget(name: "PaperCLITests", dependencies: ["PaperCLI", "Experiments"], exclude: ["slurm-node.sh"]),
    ]
)
