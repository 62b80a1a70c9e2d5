// swift-tools-version:6.0
import Foundation
import PackageDescription

/// The CPU the numeric modules are compiled for: the build machine's (`native`), unless the
/// environment variable DDP_TARGET_CPU names another LLVM CPU, e.g. `haswell` (AVX2 and FMA:
/// Intel since 2013, AMD since Zen) for one binary copied to hosts of different models
/// (README, "Several hosts"). This Swift's LLVM has no `x86-64-v3`; the baseline `x86-64`
/// does not compile (see below).
let targetCPU = ProcessInfo.processInfo.environment["DDP_TARGET_CPU"] ?? "native"

/// Release builds of the kernels: `-Ounchecked` drops overflow traps in the index arithmetic of
/// hot loops, and `-target-cpu native` compiles the SIMD16 code of `Kernels/VectorMath.swift`
/// for the build machine's vector unit (one AVX-512 register per vector where it has one), as
/// `-march=native` does for C. Kernels is the only unchecked module: it reads no user input.
/// Debug builds need the same target CPU: the AVX intrinsics of `VectorMath.swift` do not
/// compile (an LLVM fatal error) for the baseline x86-64 target. (`launch/fuzz` builds the
/// release configuration, so the fuzzed readers have exactly these per-target flags.)
let kernelFlags: [SwiftSetting] = [
  .unsafeFlags(["-Ounchecked", "-target-cpu", targetCPU], .when(configuration: .release)),
  .unsafeFlags(["-target-cpu", targetCPU], .when(configuration: .debug)),
]

/// Models and Training keep Swift's bounds and overflow checks (Training holds the checkpoint
/// and safetensors readers). Checked, `configs/bench.toml` ran at the same speed as unchecked
/// (median of 10 alternated pairs of `ddp bench`: 365.6 vs 366.3 ms/step, README "Notes for
/// developers"): the time is in the kernels and BLAS.
let checkedNumericFlags: [SwiftSetting] = [.unsafeFlags(["-target-cpu", targetCPU])]

// The module graph is the architecture (README, "Architecture"): each line below is one concept,
// and its dependencies are everything it may import.
//
//   Support      POSIX files (regular-file checks, reads, one atomic write), one JSON style,
//                one text table, clock, FNV-1a, random numbers, message text   (no dependency)
//   Config       TOML, --set, validation, config errors: the only TOMLKit importer  -> Support
//   Kernels      free functions over Float buffers, forward beside backward     -> CBLAS, Support
//   Models       norm / attention / placement types, layouts, the model, generation
//                                                                  -> Kernels, Config, Support
//   Datasets     tokenizer, corpus readers, sharding, shuffling                     -> Support
//   Distributed  Communicator, MPI and single-process, accounting, all-reduce cost  -> CMPI, Support
//   Training     trainer, optimizer, schedule, checkpoints, the session loop, benchmarks
//                                              -> Models, Datasets, Distributed, Config, Kernels
//   Reports      Codable results, SVG charts, HTML / Markdown, cost-model checks
//                                                -> Training, Models, Distributed, Config, Support
//   Experiments  sweeps of real jobs (the compare sweep, the job launcher), baselines
//                                                          -> Reports, Training, Datasets
//   ddp          thin swift-argument-parser commands                               -> everything
let package = Package(
  name: "ddp",
  products: [
    // MARK: - Public products
    .executable(name: "ddp", targets: ["ddp"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
  ],
  targets: [
    // MARK: - C shims (expose no API of their own)
    .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),

    // MARK: - Implementation
    .target(name: "Support"),
    .target(
      name: "Config",
      dependencies: ["Support", .product(name: "TOMLKit", package: "TOMLKit")]),
    .target(name: "Kernels", dependencies: ["CBLAS", "Support"], swiftSettings: kernelFlags),
    .target(
      name: "Models", dependencies: ["Kernels", "Config", "Support"],
      swiftSettings: checkedNumericFlags),
    .target(name: "Datasets", dependencies: ["Support"]),
    .target(name: "Distributed", dependencies: ["CMPI", "Support"]),
    .target(
      name: "Training",
      dependencies: ["Models", "Kernels", "Datasets", "Distributed", "Config", "Support"],
      swiftSettings: checkedNumericFlags),
    .target(
      name: "Reports", dependencies: ["Training", "Models", "Distributed", "Config", "Support"]),
    .target(
      name: "Experiments",
      dependencies: ["Reports", "Training", "Datasets", "Distributed", "Config", "Support"]),
    .executableTarget(
      name: "ddp",
      dependencies: [
        "Support", "Config", "Kernels", "Models", "Datasets", "Distributed", "Training",
        "Reports", "Experiments",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    // MARK: - Tests
    .target(name: "TestSupport", path: "Tests/TestSupport"),
    .testTarget(name: "SupportTests", dependencies: ["Support"]),
    .testTarget(name: "ConfigTests", dependencies: ["Config", "Support"]),
    .testTarget(name: "KernelsTests", dependencies: ["Kernels", "TestSupport"]),
    .testTarget(
      name: "ModelsTests",
      dependencies: ["Models", "Config", "Kernels", "Training", "Support", "TestSupport"]),
    .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Support"]),
    .testTarget(
      name: "TrainingTests",
      dependencies: [
        "Training", "Models", "Config", "Datasets", "Distributed", "Support", "TestSupport",
      ]),
    .testTarget(
      name: "ExperimentsTests", dependencies: ["Experiments", "Reports", "Datasets", "Support"]),
    .testTarget(
      name: "DistributedTests", dependencies: ["Distributed", "Support", "TestSupport"]),
    .testTarget(
      name: "ddpTests",
      dependencies: [
        "ddp", "Training", "Reports", "Experiments", "Distributed", "Config", "Support",
        "TestSupport",
      ]),
  ]
)
