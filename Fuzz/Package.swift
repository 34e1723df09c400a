// swift-tools-version: 6.1
// libFuzzer targets for the parsers of untrusted files, built with coverage guidance and AddressSanitizer:
//   Scripts/fuzz.sh TARGET SECONDS     (TARGET: pickle, zip, safetensors, png, probe)
// A package of its own so that the main build never links libFuzzer's main().
import PackageDescription

let targets = ["FuzzPickle", "FuzzZip", "FuzzSafeTensors", "FuzzPNG", "FuzzProbe"]

let package = Package(
    name: "TweenFuzz",
    dependencies: [.package(name: "Tween", path: "..")],
    targets: [.target(name: "FuzzDriver")] + targets.map { name in
        .executableTarget(
            name: name,
            dependencies: ["FuzzDriver", .product(name: "Checkpoint", package: "Tween"), .product(name: "MediaIO", package: "Tween")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])])
    }
)
