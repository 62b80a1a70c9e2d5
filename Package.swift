// swift-tools-version:6.0
import PackageDescription

/// Release builds of the numeric modules: `-Ounchecked` drops overflow traps in the index
/// arithmetic of hot loops, and `-target-cpu native` compiles the SIMD16 code of
/// `Kernels/VectorMath.swift` for the build machine's vector unit (one AVX-512 register per
/// vector where it has one), as `-march=native` does for C.
let numericFlags: [SwiftSetting] = [
  .unsafeFlags(["-Ounchecked", "-target-cpu", "native"], .when(configuration: .release))
]

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
    .target(name: "Kernels", dependencies: ["CBLAS"], swiftSettings: numericFlags),
    .target(
      name: "Models",
      dependencies: ["Kernels", .product(name: "TOMLKit", package: "TOMLKit")],
      swiftSettings: numericFlags),
    .target(name: "Datasets", dependencies: ["Models"]),
    .target(name: "Distributed", dependencies: ["CMPI", "Models"]),
    .target(
      name: "Training", dependencies: ["Models", "Kernels", "Datasets", "Distributed"],
      swiftSettings: numericFlags),
    .executableTarget(
      name: "ddp",
      dependencies: [
        "Models", "Training", "Kernels", "Datasets", "Distributed",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    // MARK: - Tests
    .target(name: "TestSupport", path: "Tests/TestSupport"),
    .testTarget(name: "KernelsTests", dependencies: ["Kernels", "TestSupport"]),
    .testTarget(
      name: "ModelsTests", dependencies: ["Models", "Kernels", "Training", "TestSupport"]),
    .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Models"]),
    .testTarget(name: "TrainingTests", dependencies: ["Training", "Models", "TestSupport"]),
    .testTarget(name: "DistributedTests", dependencies: ["Distributed"]),
    .testTarget(name: "ddpTests", dependencies: ["ddp", "Training"]),
  ]
)
