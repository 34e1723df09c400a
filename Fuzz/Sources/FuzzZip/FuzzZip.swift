import Checkpoint
import Foundation
import FuzzDriver

/// The torch zip checkpoint reader: central directory, local headers, CRC-32, then the pickle.
/// Any input must end in tensors or a `CheckpointError`: a trap, a leak past ASan or a hang is a finding.
private func fuzz(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes else { return 0 }
    _ = try? TorchCheckpoint.parse(Data(bytes: bytes, count: count))
    return 0
}

/// The executable's entry point (SwiftPM names it FuzzZip_main): libFuzzer's driver.
@_cdecl("FuzzZip_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    tween_fuzz_driver(argc, argv, { fuzz($0, $1) })
}
