// swift-tools-version: 6.1
// A separate package that uses Tween as a library, as an app or a service would: it depends on the
// repository by path. `.ci/run` builds and runs it, so the README's library example keeps compiling.
import PackageDescription

let package = Package(
    name: "VideoJobExample",
    dependencies: [.package(name: "Tween", path: "../..")],
    targets: [
        .executableTarget(name: "VideoJobExample", dependencies: [.product(name: "TweenKit", package: "Tween")]),
    ]
)
