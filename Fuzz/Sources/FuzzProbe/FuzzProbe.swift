import Foundation
import FuzzDriver
import MediaIO

/// The reader of ffprobe's JSON report (what a video file claims about itself), then what is derived
/// from it: the expected frame count and whether the rate varies.
private func fuzz(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes else { return 0 }
    if let info = try? VideoProbe.parse(Data(bytes: bytes, count: count), path: "fuzz") {
        _ = info.expectedFrameCount
        _ = info.isVariableFrameRate
    }
    return 0
}

/// The executable's entry point (SwiftPM names it FuzzProbe_main): libFuzzer's driver.
@_cdecl("FuzzProbe_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    tween_fuzz_driver(argc, argv, { fuzz($0, $1) })
}
