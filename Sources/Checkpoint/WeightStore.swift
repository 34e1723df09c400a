public import Foundation
public import TensorCore

/// Strict binding of checkpoint tensors to a model's parameters.
///
/// A model takes each parameter by name and expected shape; `finish()` then fails if anything
/// was left over. Together that is PyTorch's `load_state_dict(strict=True)`: no missing, no
/// unexpected and no mis-shaped tensors. Tensors a model deliberately does not use (training-only
/// heads) are dropped up front with `ignoringPrefixes`, so they are never "unexpected".
public struct WeightStore: Sendable {
    /// Remaining tensors by (stripped) name.
    private var tensors: [String: Tensor]
    /// Names in file order, so listings are stable and match the checkpoint.
    private let order: [String]

    /// Builds a store from named tensors.
    /// - Parameters:
    ///   - tensors: named tensors, e.g. from `TorchCheckpoint.parse`.
    ///   - ignoringPrefixes: tensors whose name (after stripping) starts with any of these are dropped.
    ///   - strippingPrefix: removed from the start of each name that has it, e.g. the `module.`
    ///     that `nn.DataParallel` adds; nil keeps names as they are.
    /// - Throws: `CheckpointError` if two tensors have the same name after stripping.
    public init(
        _ tensors: [(name: String, tensor: Tensor)], ignoringPrefixes: [String] = [], strippingPrefix: String? = "module."
    ) throws {
        var byName: [String: Tensor] = [:]
        var originalName: [String: String] = [:]
        var order: [String] = []
        for (name, tensor) in tensors {
            var stripped = name
            if let prefix = strippingPrefix, !prefix.isEmpty, name.hasPrefix(prefix) {
                stripped = String(name.dropFirst(prefix.count))
            }
            if ignoringPrefixes.contains(where: { stripped.hasPrefix($0) }) { continue }
            if let earlier = originalName[stripped] {
                throw CheckpointError("duplicate tensor '\(stripped)' (from '\(earlier)' and '\(name)')")
            }
            originalName[stripped] = name
            byName[stripped] = tensor
            order.append(stripped)
        }
        self.tensors = byName
        self.order = order
    }

    /// Loads a torch zip checkpoint, a torch legacy checkpoint or a safetensors file (told apart
    /// by content, not by extension) and builds a store with the default `module.` stripping.
    /// - Parameters:
    ///   - url: the weights file.
    ///   - ignoringPrefixes: see `init(_:ignoringPrefixes:strippingPrefix:)`.
    /// - Throws: `CheckpointError` prefixed with the file path.
    public static func load(contentsOf url: URL, ignoringPrefixes: [String] = []) throws -> WeightStore {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw CheckpointError("\(url.path): cannot read file (\(error.localizedDescription))")
        }
        do {
            let tensors: [(name: String, tensor: Tensor)]
            if TorchCheckpoint.Format(sniffing: data) != nil {
                tensors = try TorchCheckpoint.parse(data)
            } else if looksLikeSafeTensors(data) {
                // safetensors' JSON header has no reliable order; sort for determinism.
                tensors = try SafeTensors.parse(data).tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            } else {
                let head = data.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
                throw CheckpointError("unrecognized weights format: the \(data.count)-byte file starts at offset 0 with [\(head)], expected a torch "
                                      + "checkpoint (zip or legacy pickle) or safetensors")
            }
            return try WeightStore(tensors, ignoringPrefixes: ignoringPrefixes)
        } catch let error as CheckpointError {
            throw CheckpointError("\(url.path): \(error.message)")
        }
    }

    /// safetensors starts with an 8-byte header length followed by a JSON object.
    static func looksLikeSafeTensors(_ data: Data) -> Bool {
        data.count > 8 && data[data.startIndex + 8] == UInt8(ascii: "{")
    }

    /// Removes and returns the tensor `name`, checking its shape and that every value is finite.
    /// - Throws: `CheckpointError` "missing tensor 'x'" if absent (or already taken),
    ///   "tensor 'x' has shape [a, b], expected [c, d]" (the tensor then stays in the store), or
    ///   "tensor 'x' has N non-finite values": a NaN or infinite weight would make every frame NaN,
    ///   which used to be written as a black frame with exit 0.
    public mutating func take(_ name: String, shape: [Int]) throws -> Tensor {
        guard let tensor = tensors[name] else { throw CheckpointError("missing tensor '\(name)'") }
        guard tensor.shape == shape else {
            throw CheckpointError("tensor '\(name)' has shape \(tensor.shape), expected \(shape)")
        }
        let bad = tensor.scalars.withUnsafeBufferPointer { values in values.reduce(0) { $0 + ($1.isFinite ? 0 : 1) } }
        if bad > 0 {
            let first = tensor.scalars.firstIndex { !$0.isFinite }!
            throw CheckpointError("tensor '\(name)' has \(bad) non-finite value\(bad == 1 ? "" : "s") (element \(first) is "
                                  + "\(tensor.scalars[first])); the weights are corrupt")
        }
        tensors[name] = nil
        return tensor
    }

    /// Loads `url` (see `load(contentsOf:ignoringPrefixes:)`), lets `build` take its tensors, then
    /// checks that none is left over; every error names the file.
    public static func bind<Model>(contentsOf url: URL, ignoringPrefixes: [String] = [],
                                   _ build: (inout WeightStore) throws -> Model) throws -> Model {
        var store = try load(contentsOf: url, ignoringPrefixes: ignoringPrefixes)
        do {
            let model = try build(&store)
            try store.finish()
            return model
        } catch let error as CheckpointError {
            throw CheckpointError("\(url.path): \(error.message)")
        }
    }

    /// Checks that every tensor was taken.
    /// - Throws: `CheckpointError` "unexpected tensors: a, b" naming, in file order, each tensor never taken.
    public func finish() throws {
        let left = remainingNames
        guard left.isEmpty else { throw CheckpointError("unexpected tensors: \(left.joined(separator: ", "))") }
    }

    /// The names not yet taken, in file order.
    public var remainingNames: [String] { order.filter { tensors[$0] != nil } }

    /// The total element count of the tensors not yet taken.
    package var remainingScalarCount: Int { tensors.values.reduce(0) { $0 + $1.count } }
}
