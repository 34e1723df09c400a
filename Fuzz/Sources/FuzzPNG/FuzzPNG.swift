import Foundation
import FuzzDriver
import MediaIO

/// The PNG reader (libpng behind the C shim: header, chunk skipping, size limits, decoding). PNG
/// files are read by path, so each input is written to a file in /dev/shm (memory) first.
private let path = URL(fileURLWithPath: "/dev/shm/tween-fuzz-png-\(getpid()).png")

private func fuzz(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes else { return 0 }
    guard (try? Data(bytes: bytes, count: count).write(to: path)) != nil else { return 0 }
    if let size = try? PNG.dimensions(path), size.width * size.height <= 4 << 20 {
        _ = try? PNG.read(path)
    }
    return 0
}

/// The executable's entry point (SwiftPM names it FuzzPNG_main): libFuzzer's driver.
@_cdecl("FuzzPNG_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    tween_fuzz_driver(argc, argv, { fuzz($0, $1) })
}
