public import Checkpoint
public import TensorCore

/// `nn.Conv2d` with bias, optionally followed by `LeakyReLU(0.2)` (fused into the kernel).
public struct Conv2DLayer: Sendable {
    /// [O, I, kh, kw] and [O]; packed for oneDNN on first use and kept.
    public let weights: ConvolutionWeights
    public let stride: Int
    public let padding: Int

    public var weight: Tensor { weights.weight }
    public var bias: Tensor { weights.bias! }

    /// Takes `<name>.weight` and `<name>.bias` from `store`, checking their shapes.
    public init(_ store: inout WeightStore, _ name: String, in inputs: Int, out outputs: Int,
                kernel: Int = 3, stride: Int = 1, padding: Int = 1) throws {
        weights = ConvolutionWeights(weight: try store.take("\(name).weight", shape: [outputs, inputs, kernel, kernel]),
                                     bias: try store.take("\(name).bias", shape: [outputs]))
        self.stride = stride
        self.padding = padding
    }

    public func callAsFunction(_ x: Tensor, leakySlope: Float? = nil) throws -> Tensor {
        try conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding, leakySlope: leakySlope)
    }

    public func callAsFunction(_ x: ChannelsLastTensor, leakySlope: Float? = nil) throws -> ChannelsLastTensor {
        try self(x, leakySlope: leakySlope, as: Float.self)
    }

    /// Channels-last in `S`, out in `D` (bf16 inputs accumulate in Float32; see `conv2d`).
    public func callAsFunction<S: ActivationScalar, D: ActivationScalar>(
        _ x: ChannelsLast<S>, leakySlope: Float? = nil, as output: D.Type
    ) throws -> ChannelsLast<D> {
        try conv2d(x, weights: weights, stride: stride, padding: (padding, padding, padding, padding), leakySlope: leakySlope, as: output)
    }
}

/// `nn.ConvTranspose2d(in, out, 4, 2, 1)` with bias: doubles the resolution.
/// Runs as the equivalent sub-pixel 3×3 convolution (see `SubPixelConvTranspose`).
public struct ConvTranspose2DLayer: Sendable {
    let subPixel: SubPixelConvTranspose

    /// Takes the PyTorch weight [I, O, 4, 4] and bias [O] and rewrites them once.
    public init(_ store: inout WeightStore, _ name: String, in inputs: Int, out outputs: Int) throws {
        subPixel = SubPixelConvTranspose(
            transposedWeight: try store.take("\(name).weight", shape: [inputs, outputs, 4, 4]),
            bias: try store.take("\(name).bias", shape: [outputs]))
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor { try subPixel(x) }

    /// The same layer computing only the output channels `outputs` (see `SubPixelConvTranspose.keepingOutputs`).
    public func keepingOutputs(_ outputs: Range<Int>) -> ConvTranspose2DLayer {
        ConvTranspose2DLayer(subPixel: subPixel.keepingOutputs(outputs))
    }

    private init(subPixel: SubPixelConvTranspose) { self.subPixel = subPixel }

    /// Channels-last in (Float32 or bf16), Float32 NCHW out at twice the resolution, optionally
    /// pixel-shuffled by `shuffle` in the same pass.
    public func callAsFunction<S: ActivationScalar>(_ x: ChannelsLast<S>, shuffle: Int = 1) throws -> Tensor {
        try subPixel(x, shuffle: shuffle)
    }
}

/// RIFE v4's residual unit: `leaky_relu(conv3x3(x) * beta + x, 0.2)`, beta per channel.
public struct ResConv: Sendable {
    public let conv: Conv2DLayer
    public let beta: Tensor     // [1, C, 1, 1]

    public init(_ store: inout WeightStore, _ name: String, channels: Int) throws {
        conv = try Conv2DLayer(&store, "\(name).conv", in: channels, out: channels)
        beta = try store.take("\(name).beta", shape: [1, channels, 1, 1])
    }

    public func callAsFunction(_ x: ChannelsLastTensor) throws -> ChannelsLastTensor { try self(x, convolving: x).result }

    /// One unit with the convolution reading `convolving`, which is `x` stored as `S`.
    /// The residual path stays Float32 (rounding it at each of a block's eight units would
    /// accumulate); the result comes back in Float32 and as the next unit's convolution input.
    public func callAsFunction<S: ActivationScalar>(_ x: ChannelsLastTensor, convolving: ChannelsLast<S>)
        throws -> (result: ChannelsLastTensor, rounded: ChannelsLast<S>) {
        try scaleResidualLeakyReLU(conv(convolving, as: Float.self), beta: beta, residual: x, slope: 0.2, alsoAs: S.self)
    }
}
