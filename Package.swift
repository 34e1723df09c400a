// swift-tools-version: 6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Tween",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tween", targets: ["tween"]),
        // TweenKit is the whole job (video, pair, eval) for a CLI, a service or an app; the others
        // are its layers, for hosts that want the engine, the media plumbing or the metrics alone.
        .library(name: "TweenKit", targets: ["TweenKit"]),
        .library(name: "Interpolation", targets: ["Interpolation"]),
        .library(name: "MediaIO", targets: ["MediaIO"]),
        .library(name: "ImageMetrics", targets: ["ImageMetrics"]),
        // The checkpoint readers alone (Fuzz/ drives them through this product).
        .library(name: "Checkpoint", targets: ["Checkpoint"]),
        // The service's durable job and chunk ledger (SQLite or PostgreSQL), with fenced leases.
        .library(name: "JobStore", targets: ["JobStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // System libraries (Debian: libdnnl-dev, libpng-dev, libsqlite3-dev).
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        // libpng's errors longjmp, so a small C target owns every libpng call.
        .target(name: "CPNGSupport", linkerSettings: [.linkedLibrary("png16")]),

        .target(name: "TensorCore", dependencies: ["CDNNL"], swiftSettings: strictSettings),
        // Its tests drive the pickle and zip internals directly; those are `package` API, not `@testable`.
        .target(name: "Checkpoint", dependencies: ["TensorCore"], swiftSettings: strictSettings),
        .target(name: "Models", dependencies: ["TensorCore", "Checkpoint"], swiftSettings: strictSettings),
        .target(name: "Interpolation", dependencies: ["Models", "TensorCore"], swiftSettings: strictSettings),
        .target(name: "MediaIO", dependencies: ["TensorCore", "CPNGSupport"], swiftSettings: strictSettings),
        .target(name: "ImageMetrics", dependencies: ["TensorCore", "Checkpoint"], swiftSettings: strictSettings),
        .target(
            name: "Evaluation", dependencies: ["Interpolation", "Models", "ImageMetrics", "MediaIO", "TensorCore"],
            swiftSettings: strictSettings),
        .target(
            name: "TweenKit",
            dependencies: ["Interpolation", "MediaIO", "Models", "Evaluation", "ImageMetrics", "Checkpoint", "TensorCore"],
            swiftSettings: strictSettings),
        .target(
            name: "JobStore",
            dependencies: ["CSQLite", .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings),
        // The job store's cost per chunk (benchmarks live apart from tests).
        .executableTarget(name: "store-bench", dependencies: ["JobStore"], swiftSettings: strictSettings),
        .executableTarget(
            name: "tween",
            dependencies: [
                "TweenKit", "Interpolation", "MediaIO", "Models", "Evaluation", "TensorCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings),

        .target(
            name: "TestSupport", dependencies: ["TensorCore", "Checkpoint", "Models"], path: "Tests/TestSupport",
            swiftSettings: strictSettings),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "CheckpointTests", dependencies: ["Checkpoint", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "ModelsTests", dependencies: ["Models", "Interpolation", "Checkpoint", "TestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "InterpolationTests", dependencies: ["Interpolation", "MediaIO", "TensorCore", "TestSupport"],
            swiftSettings: strictSettings),
        .testTarget(name: "MediaIOTests", dependencies: ["MediaIO", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "ImageMetricsTests", dependencies: ["ImageMetrics", "Checkpoint", "MediaIO", "TensorCore", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Interpolation", "MediaIO", "TensorCore", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "CLITests", dependencies: ["TestSupport", "MediaIO", "Interpolation", "Checkpoint", "TweenKit", "tween"], swiftSettings: strictSettings),
        .testTarget(
            name: "JobStoreTests",
            dependencies: ["JobStore", "TestSupport", .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings),
        .testTarget(
            name: "TweenKitTests", dependencies: ["TweenKit", "MediaIO", "Interpolation", "TestSupport"],
            swiftSettings: strictSettings),
    ]
)
