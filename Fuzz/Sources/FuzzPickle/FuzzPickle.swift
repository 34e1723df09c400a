import Checkpoint
import Foundation
import FuzzDriver

/// The pickle interpreter, through the legacy torch format (a run of pickles and raw storages,
/// no zip around them): every byte the fuzzer writes reaches the pickle machine. Inputs that do not
/// start with the pickle protocol-2 opcode get it, so mutations are not all spent on the sniffing.
private func fuzz(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let bytes else { return 0 }
    var data = Data(bytes: bytes, count: count)
    if data.first != 0x80 { data.insert(contentsOf: [0x80, 0x02], at: 0) }
    _ = try? TorchCheckpoint.parse(data)
    return 0
}

/// The executable's entry point (SwiftPM names it FuzzPickle_main): libFuzzer's driver.
@_cdecl("FuzzPickle_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    tween_fuzz_driver(argc, argv, { fuzz($0, $1) })
}
