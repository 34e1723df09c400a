import Checkpoint
import Foundation
import FuzzDriver

/// The safetensors reader: the 8-byte header length, the JSON header, dtypes, shapes and offsets.
private func fuzz(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes else { return 0 }
    _ = try? SafeTensors.parse(Data(bytes: bytes, count: count))
    return 0
}

/// The executable's entry point (SwiftPM names it FuzzSafeTensors_main): libFuzzer's driver.
@_cdecl("FuzzSafeTensors_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    tween_fuzz_driver(argc, argv, { fuzz($0, $1) })
}
