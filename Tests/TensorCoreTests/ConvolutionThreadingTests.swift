import Foundation
import Testing
import TensorCore
import TestSupport

@Suite("oneDNN failures and concurrent convolutions")
struct ConvolutionThreadingTests {
    /// A convolution oneDNN has no kernel for: Float32 input written as bf16 (its kernels write either
    /// the input's type or Float32). The shapes are valid, so it passes every Swift-side check and
    /// `dnnl_primitive_desc_create` is what refuses it.
    @Test("a convolution oneDNN refuses at primitive-descriptor creation throws ConvolutionError, naming the call and the shape")
    func unimplementedConvolutionThrows() throws {
        let x = Tensor.random([1, 3, 8, 8], seed: 50).channelsLast()
        let weights = ConvolutionWeights(weight: Tensor.random([4, 3, 3, 3], seed: 51), bias: nil)
        let error = #expect(throws: ConvolutionError.self) {
            try conv2d(x, weights: weights, padding: (1, 1, 1, 1), as: BFloat16.self)
        }
        #expect(error?.operation == "dnnl_primitive_desc_create (convolution)")
        #expect(error?.status == 3, "unimplemented: \(String(describing: error))")
        let message = error.map(String.init(describing:)) ?? ""
        #expect(message.contains("[1, 3, 8, 8] NHWC by 4×3×3×3 weights") && message.contains("f32 → bf16"), "\(message)")
        // The failure left nothing behind: the same weights still convolve (into Float32).
        let fine = try conv2d(x, weights: weights, padding: (1, 1, 1, 1), as: Float.self)
        let expected = Reference.conv2d(Tensor(x), weight: weights.weight, bias: nil, stride: 1, padding: 1)
        #expect(difference(Tensor(fine), expected).maxAbs <= kernelTolerance)
    }

    /// Descriptor-level refusals: arguments whose output size is positive (so the shape preconditions
    /// pass) but which oneDNN rejects when it sets up the convolution.
    @Test("invalid arguments oneDNN rejects (dilation 0, negative padding) throw rather than crash")
    func invalidArgumentsThrow() {
        let x = Tensor.random([1, 3, 8, 8], seed: 52), w = Tensor.random([4, 3, 3, 3], seed: 53)
        let dilation = #expect(throws: ConvolutionError.self) { try conv2d(x, weight: w, bias: nil, padding: 1, dilation: 0) }
        #expect(dilation?.status == 2 && dilation?.convolution?.contains("dilation 0") == true, "\(String(describing: dilation))")
        let padding = #expect(throws: ConvolutionError.self) {
            try conv2d(x.channelsLast(), weights: ConvolutionWeights(weight: w, bias: nil),
                       padding: (top: -1, left: 1, bottom: 1, right: 1), as: Float.self)
        }
        #expect(padding?.status == 2, "\(String(describing: padding))")
    }

    @Test("4 threads × 20 runs of one conv2d (same shape, shared weights packed by whichever comes first) equal the single-threaded result bit for bit")
    func concurrentSameShape() throws {
        let (weight, bias) = (Tensor.random([24, 20, 3, 3], seed: 60), Tensor.random([24], seed: 61))
        let inputs = (0..<4).map { Tensor.random([1, 20, 46, 70], seed: 62 + UInt64($0)).channelsLast() }
        // The reference packs its own copy of the weights, so the shared one is first packed under contention.
        let single = ConvolutionWeights(weight: weight, bias: bias)
        let expected = try inputs.map { try conv2d($0, weights: single, padding: (1, 1, 1, 1), leakySlope: 0.2, as: Float.self) }
        let shared = ConvolutionWeights(weight: weight, bias: bias)
        let results = onThreads(4) { i in
            try (0..<20).map { _ in try conv2d(inputs[i], weights: shared, padding: (1, 1, 1, 1), leakySlope: 0.2, as: Float.self) }
        }
        for (i, result) in results.enumerated() {
            let runs = try result.get()
            #expect(runs.count == 20 && runs.allSatisfy { $0 == expected[i] }, "thread \(i)")
        }
    }

    @Test("2 threads running different shapes with the same weights at once equal their single-threaded results bit for bit")
    func concurrentDifferentShapes() throws {
        let (weight, bias) = (Tensor.random([16, 12, 3, 3], seed: 70), Tensor.random([16], seed: 71))
        let inputs = [Tensor.random([1, 12, 30, 22], seed: 72), Tensor.random([1, 12, 17, 45], seed: 73)]
        let shared = ConvolutionWeights(weight: weight, bias: bias)
        // Shape 0 through the NCHW entry point (a plan with reorders), shape 1 channels-last with shared weights.
        let convolve: @Sendable (Int) throws -> Tensor = { i in
            i == 0 ? try conv2d(inputs[0], weight: weight, bias: bias, stride: 2, padding: 1)
                   : Tensor(try conv2d(inputs[1].channelsLast(), weights: shared, stride: 2, padding: (1, 1, 1, 1), as: Float.self))
        }
        let expected = try (0..<2).map(convolve)
        let results = onThreads(2) { i in try (0..<20).map { _ in try convolve(i) } }
        for (i, result) in results.enumerated() {
            let runs = try result.get()
            #expect(runs.count == 20 && runs.allSatisfy { $0 == expected[i] }, "thread \(i)")
        }
    }
}

/// Runs `body(i)` for every i in 0..<count, each on a thread of its own and all at once, and returns
/// their outcomes in order. Real threads rather than tasks: the cooperative pool has only as many
/// threads as cores, which would run four tasks two at a time on a two-core machine.
private func onThreads<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) throws -> T) -> [Result<T, any Error>] {
    let outcomes = Outcomes<T>(count)
    let (arrived, go) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
    let finished = DispatchGroup()
    for i in 0..<count {
        finished.enter()
        Thread {
            arrived.signal()
            go.wait()  // every thread starts its work at the same moment
            let outcome = Result { try body(i) }
            outcomes.lock.withLock { outcomes.values[i] = outcome }
            finished.leave()
        }.start()
    }
    for _ in 0..<count { arrived.wait() }
    for _ in 0..<count { go.signal() }
    finished.wait()
    return outcomes.values.map { $0! }
}

/// `onThreads`' results: written under `lock`, read after every thread finished.
private final class Outcomes<T>: @unchecked Sendable {
    var values: [Result<T, any Error>?]
    let lock = NSLock()
    init(_ count: Int) { values = Array(repeating: nil, count: count) }
}
