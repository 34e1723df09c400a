/// Why a checkpoint or tensor file could not be read or bound.
/// Every case names the file position or tensor involved so a user can act on it.
public struct CheckpointError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
