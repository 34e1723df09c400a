/// A dense Float32 tensor stored contiguously in row-major order.
///
/// Rank-4 tensors are NCHW, as PyTorch lays them out; weights keep PyTorch's
/// layouts (`Conv2d` `[out, in, kh, kw]`, `ConvTranspose2d` `[in, out, kh, kw]`).
/// The storage is a plain `[Float]`: value semantics, copy on write, and
/// kernels bind its buffer once with `withUnsafe…BufferPointer`.
public struct Tensor: Sendable, Equatable {
    /// The extent of each dimension, outermost first.
    public let shape: [Int]
    /// The elements in row-major order; `scalars.count == shape.product`.
    public var scalars: [Float]

    /// Wraps `scalars` with `shape`.
    /// - Parameters:
    ///   - shape: dimensions, each ≥ 0.
    ///   - scalars: row-major elements; their count must equal the product of `shape`.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(scalars.count == Tensor.elementCount(shape),
                     "\(scalars.count) scalars do not fill shape \(shape)")
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor of `shape` with every element equal to `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        self.init(shape: shape, scalars: [Float](repeating: value, count: Tensor.elementCount(shape)))
    }

    /// A tensor of `shape` whose elements are not initialised: only for kernels that write every
    /// element before anything reads it (saves a zero-fill pass over full-resolution outputs).
    public init(uninitializedShape shape: [Int]) {
        let count = Tensor.elementCount(shape)
        self.init(shape: shape, scalars: [Float](unsafeUninitializedCapacity: count) { _, initialized in
            initialized = count
        })
    }

    /// The number of elements a tensor of `shape` holds.
    public static func elementCount(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    /// The number of elements.
    public var count: Int { scalars.count }
    /// The number of dimensions.
    public var rank: Int { shape.count }

    // NCHW accessors; valid for rank-4 tensors only.
    public var n: Int { precondition(rank == 4, "rank \(rank) tensor is not NCHW"); return shape[0] }
    public var c: Int { precondition(rank == 4, "rank \(rank) tensor is not NCHW"); return shape[1] }
    public var h: Int { precondition(rank == 4, "rank \(rank) tensor is not NCHW"); return shape[2] }
    public var w: Int { precondition(rank == 4, "rank \(rank) tensor is not NCHW"); return shape[3] }

    /// The same elements viewed with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, scalars: scalars)
    }

    /// Element at NCHW index (convenience for tests and reference code; not for hot loops).
    public subscript(n: Int, c: Int, y: Int, x: Int) -> Float {
        get { scalars[((n * shape[1] + c) * shape[2] + y) * shape[3] + x] }
        set { scalars[((n * shape[1] + c) * shape[2] + y) * shape[3] + x] = newValue }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor(\(shape.map(String.init).joined(separator: "x")))" }
}

/// The one rule for turning a [0, 1] sample into 8 bits, everywhere Tween writes or scores 8-bit
/// frames: ×255, rounded to nearest (ties to even), clamped; NaN becomes 0. (PyTorch's reference
/// truncates, which costs up to 0.36 dB; README, "Output is 8-bit PNG, rounded".)
@inlinable
public func quantize8(_ x: Float) -> UInt8 {
    let v = x * 255
    return v.isNaN ? 0 : UInt8(min(max(v.rounded(.toNearestOrEven), 0), 255))
}
