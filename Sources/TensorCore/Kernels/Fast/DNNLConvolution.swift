import CDNNL
import Foundation

/// oneDNN refused or failed a convolution: the library could not plan it (invalid or unsupported
/// sizes, an unsupported precision), ran out of memory, or failed while running it.
public struct ConvolutionError: Error, CustomStringConvertible, Sendable {
    /// The oneDNN call that failed and what for, e.g. `dnnl_primitive_desc_create (convolution)`.
    public let operation: String
    /// oneDNN's `dnnl_status_t`: 1 out of memory, 2 invalid arguments, 3 unimplemented, 5 runtime error.
    public let status: Int
    /// The convolution being planned or run (shapes, stride, padding, precisions); nil when the
    /// failure came before any convolution (creating the oneDNN engine).
    public let convolution: String?

    public var description: String {
        let names = [1: "out of memory", 2: "invalid arguments", 3: "unimplemented", 4: "iterator ends",
                     5: "runtime error", 6: "not required"]
        let name = names[status].map { " (\($0))" } ?? ""
        return "oneDNN \(operation) failed with status \(status)\(name)" + (convolution.map { " for \($0)" } ?? "")
    }
}

/// Convolutions through oneDNN (Debian `libdnnl-dev`, 2.6), its JIT kernels doing the arithmetic.
///
/// oneDNN is fastest when it chooses the memory layouts (`format_tag::any`: blocked
/// NHWC-like formats on AVX-512); with plain NCHW descriptors it falls back to
/// im2col + GEMM, several times slower (PERFORMANCE-NOTES.md). So each plan reorders
/// our NCHW tensors into its preferred layout and back. Weights are reordered (and, for
/// bf16 plans, converted) once per `ConvolutionWeights` and kept there. A plan is compiled
/// once per (shape, stride, padding, precision, …) and reused.
///
/// Thread safety: a plan instance is used by one call at a time. It owns state that changes per
/// call (the data handles of its dnnl memory objects, its reorder buffers, its scratchpad), so
/// `DNNL.run` checks an idle instance out of the cache, runs it outside any lock and checks it
/// back in; concurrent calls with the same key each get their own instance. Each instance has its
/// own stream and its own scratchpad (`dnnl_scratchpad_mode_user`): oneDNN's default library-owned
/// scratchpad is either shared process-wide per thread or kept per primitive, and the oneDNN docs
/// call only the user-scratchpad mode safe for concurrent execution on any thread. oneDNN's OpenMP
/// pool does the threading inside a call; each calling thread gets its own OpenMP team, and
/// `parallelFor` bodies never enter here.
final class DNNLConvolution: @unchecked Sendable {
    struct Key: Hashable, CustomStringConvertible {
        var transposed: Bool
        var n: Int, ic: Int, ih: Int, iw: Int
        var oc: Int, kh: Int, kw: Int
        var stride: Int, dilation: Int
        /// Zero padding per side (top, left, bottom, right); the sub-pixel phases pad asymmetrically.
        var padTop: Int, padLeft: Int, padBottom: Int, padRight: Int
        var hasBias: Bool
        /// Source and destination are channels-last (NHWC) instead of NCHW.
        var channelsLast: Bool = false
        /// LeakyReLU slope fused after the convolution, or nil.
        var leakySlope: Float?
        /// What the source (and so the weights) and the destination are stored in; oneDNN
        /// accumulates in Float32 either way and adds the Float32 bias before rounding.
        var source: Precision = .float32
        var destination: Precision = .float32

        /// For error messages: "convolution of [1, 64, 128, 224] NHWC by 64×64×3×3 weights, …".
        var description: String {
            let layout = channelsLast ? "NHWC" : "NCHW"
            return "\(transposed ? "transposed convolution" : "convolution") of [\(n), \(ic), \(ih), \(iw)] \(layout)"
                + " by \(oc)×\(ic)×\(kh)×\(kw) weights, stride \(stride), dilation \(dilation),"
                + " padding (top \(padTop), left \(padLeft), bottom \(padBottom), right \(padRight))"
                + (hasBias ? ", bias" : "") + (leakySlope.map { ", LeakyReLU \($0)" } ?? "")
                + ", \(source.rawValue) → \(destination.rawValue)"
        }
    }

    let key: Key
    let outputShape: [Int]
    /// Everything this plan created in oneDNN or allocated: released with the plan, or as soon as
    /// compiling it fails halfway.
    private let resources: Resources
    private let stream: dnnl_stream_t
    private let stages: [Stage]   // reorder in, the convolution, reorder out
    private let userSrc: dnnl_memory_t, userBias: dnnl_memory_t?, userDst: dnnl_memory_t
    /// The weights as the caller holds them (Float32, PyTorch layout), the layout and type the
    /// convolution reads them in, and the reorder between the two (run once per weight tensor).
    private let userWeights: dnnl_memory_t, packedWeights: dnnl_memory_t
    private let packedWeightsMD: dnnl_memory_desc_t
    private let weightsReorder: Stage

    private struct Stage {
        let primitive: dnnl_primitive_t
        let args: [dnnl_exec_arg_t]
    }

    init(_ key: Key, engine: dnnl_engine_t) throws {
        self.key = key
        outputShape = DNNL.outputShape(key)
        let owned = Resources(key: key, engine: engine)
        resources = owned
        func check(_ status: dnnl_status_t, _ operation: String) throws {
            try DNNL.check(status, operation, key)
        }

        var s: dnnl_stream_t?
        try check(dnnl_stream_create(&s, engine, dnnl_stream_default_flags.rawValue), "dnnl_stream_create")
        owned.stream = s
        stream = s!

        // oneDNN's fast kernels on this CPU want NHWC (`acdb`); channels-last callers skip the reorders.
        let activationTag = key.channelsLast ? dnnl_nhwc : dnnl_nchw
        let (src, dst) = (key.source.dnnlType, key.destination.dnnlType)
        var srcUser = try DNNL.md([key.n, key.ic, key.ih, key.iw], activationTag, src, key)
        var dstUser = try DNNL.md(outputShape, activationTag, dst, key)
        // PyTorch stores Conv2d weights [O, I, kh, kw] and ConvTranspose2d weights [I, O, kh, kw];
        // oneDNN's logical weight dims are always (O, I, kh, kw), so the latter is tag `iohw`.
        var weightsUser = try DNNL.md([key.oc, key.ic, key.kh, key.kw], key.transposed ? dnnl_iohw : dnnl_oihw, dnnl_f32, key)
        var biasMD = try DNNL.md([key.oc], dnnl_a, dnnl_f32, key)
        var srcAny = try DNNL.md([key.n, key.ic, key.ih, key.iw], dnnl_format_tag_any, src, key)
        var dstAny = try DNNL.md(outputShape, dnnl_format_tag_any, dst, key)
        var weightsAny = try DNNL.md([key.oc, key.ic, key.kh, key.kw], dnnl_format_tag_any, src, key)

        let strides: [Int64] = [Int64(key.stride), Int64(key.stride)]
        let pads: [Int64] = [Int64(key.padTop), Int64(key.padLeft)]
        let padsEnd: [Int64] = [Int64(key.padBottom), Int64(key.padRight)]
        let dilates: [Int64] = [Int64(key.dilation - 1), Int64(key.dilation - 1)]  // oneDNN counts extra gaps

        // Every primitive of the plan takes its scratchpad from the caller (see the type's comment).
        var attr: dnnl_primitive_attr_t?
        try check(dnnl_primitive_attr_create(&attr), "dnnl_primitive_attr_create")
        defer { dnnl_primitive_attr_destroy(attr) }
        try check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "set scratchpad mode")
        var reorderAttr: dnnl_primitive_attr_t?
        try check(dnnl_primitive_attr_create(&reorderAttr), "dnnl_primitive_attr_create")
        defer { dnnl_primitive_attr_destroy(reorderAttr) }
        try check(dnnl_primitive_attr_set_scratchpad_mode(reorderAttr, dnnl_scratchpad_mode_user), "set scratchpad mode")
        if let slope = key.leakySlope {
            var postOps: dnnl_post_ops_t?
            try check(dnnl_post_ops_create(&postOps), "dnnl_post_ops_create")
            defer { dnnl_post_ops_destroy(postOps) }
            try check(dnnl_post_ops_append_eltwise(postOps, 1, dnnl_eltwise_relu, slope, 0), "dnnl_post_ops_append_eltwise")
            try check(dnnl_primitive_attr_set_post_ops(attr, postOps), "dnnl_primitive_attr_set_post_ops")
        }

        var pd: dnnl_primitive_desc_t?
        defer { dnnl_primitive_desc_destroy(pd) }
        try withUnsafePointer(to: biasMD) { biasPointer in
            let bias: UnsafePointer<dnnl_memory_desc_t>? = key.hasBias ? biasPointer : nil
            if key.transposed {
                var desc = dnnl_deconvolution_desc_t()
                try check(dnnl_dilated_deconvolution_forward_desc_init(
                    &desc, dnnl_forward_inference, dnnl_deconvolution_direct, &srcAny, &weightsAny,
                    bias, &dstAny, strides, dilates, pads, padsEnd), "dnnl_dilated_deconvolution_forward_desc_init")
                try check(dnnl_primitive_desc_create(&pd, &desc, attr, engine, nil), "dnnl_primitive_desc_create (deconvolution)")
            } else {
                var desc = dnnl_convolution_desc_t()
                try check(dnnl_dilated_convolution_forward_desc_init(
                    &desc, dnnl_forward_inference, dnnl_convolution_direct, &srcAny, &weightsAny,
                    bias, &dstAny, strides, dilates, pads, padsEnd), "dnnl_dilated_convolution_forward_desc_init")
                try check(dnnl_primitive_desc_create(&pd, &desc, attr, engine, nil), "dnnl_primitive_desc_create (convolution)")
            }
        }
        userSrc = try owned.memory(&srcUser)
        userDst = try owned.memory(&dstUser)
        userWeights = try owned.memory(&weightsUser)
        userBias = key.hasBias ? try owned.memory(&biasMD) : nil

        /// A reorder from one layout to another, run on `args`.
        func reorder(from: UnsafePointer<dnnl_memory_desc_t>, to: UnsafePointer<dnnl_memory_desc_t>,
                     args: [dnnl_exec_arg_t], _ what: String) throws -> Stage {
            var rpd: dnnl_primitive_desc_t?
            defer { dnnl_primitive_desc_destroy(rpd) }
            try check(dnnl_reorder_primitive_desc_create(&rpd, from, engine, to, engine, reorderAttr),
                      "dnnl_reorder_primitive_desc_create (\(what))")
            return try owned.stage(rpd!, args: args, "dnnl_primitive_create (\(what))")
        }
        /// The memory the convolution should use for one argument: the user's own when the layouts
        /// agree, else a buffer of the plan's, with the reorder between the two.
        func bind(_ user: dnnl_memory_t, _ userMD: inout dnnl_memory_desc_t, wanted: UnsafePointer<dnnl_memory_desc_t>,
                  input: Bool) throws -> (memory: dnnl_memory_t, reorder: Stage?) {
            if dnnl_memory_desc_equal(&userMD, wanted) != 0 { return (user, nil) }
            let inner = try owned.memory(wanted, owned.buffer(bytes: dnnl_memory_desc_get_size(wanted)))
            let stage = input
                ? try reorder(from: &userMD, to: wanted,
                              args: [.init(arg: DNNL_ARG_FROM, memory: user), .init(arg: DNNL_ARG_TO, memory: inner)], "reorder in")
                : try reorder(from: wanted, to: &userMD,
                              args: [.init(arg: DNNL_ARG_FROM, memory: inner), .init(arg: DNNL_ARG_TO, memory: user)], "reorder out")
            return (inner, stage)
        }
        let source = try bind(userSrc, &srcUser, wanted: dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0), input: true)
        let destination = try bind(userDst, &dstUser, wanted: dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0), input: false)
        packedWeightsMD = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0)!.pointee
        var packedMD = packedWeightsMD
        packedWeights = try owned.memory(&packedMD)
        var convolutionArgs = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: source.memory),
                               dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: packedWeights),
                               dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: destination.memory)]
        if let userBias { convolutionArgs.append(dnnl_exec_arg_t(arg: DNNL_ARG_BIAS, memory: userBias)) }
        let convolution = try owned.stage(pd!, args: convolutionArgs, "dnnl_primitive_create (convolution)")
        stages = [source.reorder, convolution, destination.reorder].compactMap { $0 }
        weightsReorder = try reorder(from: &weightsUser, to: &packedMD, args: [
            .init(arg: DNNL_ARG_FROM, memory: userWeights), .init(arg: DNNL_ARG_TO, memory: packedWeights),
        ], "weights reorder")
    }

    /// Runs the plan on raw buffers in the key's layout and types; the weights are packed for this
    /// plan's kernel on first use and the packed copy is kept in `weights` for every later call.
    func run(input: UnsafeRawPointer, weights: ConvolutionWeights, output: UnsafeMutableRawPointer) throws {
        let packed = try weights.packedCopy(in: packedWeightsMD) { buffer in
            try weights.weight.scalars.withUnsafeBufferPointer { w in
                dnnl_memory_set_data_handle(userWeights, UnsafeMutableRawPointer(mutating: w.baseAddress!))
                dnnl_memory_set_data_handle(packedWeights, buffer)
                try execute([weightsReorder])
            }
        }
        dnnl_memory_set_data_handle(packedWeights, packed)
        dnnl_memory_set_data_handle(userSrc, UnsafeMutableRawPointer(mutating: input))
        dnnl_memory_set_data_handle(userDst, output)
        guard let userBias, let bias = weights.bias else { return try execute(stages) }
        try bias.scalars.withUnsafeBufferPointer { b in
            dnnl_memory_set_data_handle(userBias, UnsafeMutableRawPointer(mutating: b.baseAddress!))
            try execute(stages)
        }
    }

    private func execute(_ stages: [Stage]) throws {
        for stage in stages {
            try stage.args.withUnsafeBufferPointer { args in
                try DNNL.check(dnnl_primitive_execute(stage.primitive, stream, Int32(args.count), args.baseAddress),
                               "dnnl_primitive_execute", key)
            }
        }
        try DNNL.check(dnnl_stream_wait(stream), "dnnl_stream_wait", key)
    }

    /// The oneDNN objects and buffers of one plan, created through these helpers so that each is
    /// destroyed exactly once, whether the plan is compiled in full or not.
    private final class Resources {
        let key: Key
        let engine: dnnl_engine_t
        var stream: dnnl_stream_t?
        private var primitives: [dnnl_primitive_t] = []
        private var memories: [dnnl_memory_t] = []
        private var buffers: [UnsafeMutableRawPointer] = []

        init(key: Key, engine: dnnl_engine_t) { (self.key, self.engine) = (key, engine) }

        deinit {
            for primitive in primitives { dnnl_primitive_destroy(primitive) }
            for memory in memories { dnnl_memory_destroy(memory) }
            if let stream { dnnl_stream_destroy(stream) }
            for buffer in buffers { buffer.deallocate() }
        }

        /// A stage running the primitive `pd` describes on `args`, with a scratchpad of its own
        /// when the primitive wants one.
        func stage(_ pd: dnnl_primitive_desc_t, args: [dnnl_exec_arg_t], _ operation: String) throws -> Stage {
            var p: dnnl_primitive_t?
            try DNNL.check(dnnl_primitive_create(&p, pd), operation, key)
            primitives.append(p!)
            let scratchpad = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0)!
            let bytes = dnnl_memory_desc_get_size(scratchpad)
            guard bytes > 0 else { return Stage(primitive: p!, args: args) }
            let memory = try self.memory(scratchpad, buffer(bytes: bytes))
            return Stage(primitive: p!, args: args + [dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: memory)])
        }

        /// A memory object over `handle` (nil: none yet; the plan sets it per call).
        func memory(_ md: UnsafePointer<dnnl_memory_desc_t>, _ handle: UnsafeMutableRawPointer? = nil) throws -> dnnl_memory_t {
            var m: dnnl_memory_t?
            try DNNL.check(dnnl_memory_create(&m, md, engine, handle), "dnnl_memory_create", key)
            memories.append(m!)
            return m!
        }

        func buffer(bytes: Int) -> UnsafeMutableRawPointer {
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 64), alignment: 64)
            buffers.append(buffer)
            return buffer
        }
    }
}

/// The process-wide oneDNN engine and plan cache.
enum DNNL {
    /// Idle plans per key. The lock guards only the dictionary: plans are compiled and run outside it.
    private final class PlanCache: @unchecked Sendable {
        let engine: dnnl_engine_t
        private var idle: [DNNLConvolution.Key: [DNNLConvolution]] = [:]
        private let lock = NSLock()

        init() throws {
            var e: dnnl_engine_t?
            try DNNL.check(dnnl_engine_create(&e, dnnl_cpu, 0), "dnnl_engine_create", nil)
            engine = e!
        }

        /// An idle plan for `key`, or a newly compiled one when every plan for it is busy (or there
        /// is none yet). Compiling outside the lock lets calls with other keys go on meanwhile.
        func checkOut(_ key: DNNLConvolution.Key) throws -> DNNLConvolution {
            if let plan = lock.withLock({ idle[key]?.popLast() }) { return plan }
            return try DNNLConvolution(key, engine: engine)
        }

        func checkIn(_ plan: DNNLConvolution) {
            lock.withLock { idle[plan.key, default: []].append(plan) }
        }
    }

    /// Made on first use; a failure to create the engine is kept and thrown by every call.
    private static let cache = Result { try PlanCache() }

    /// The output shape `key` produces ([N, O, OH, OW]).
    static func outputShape(_ key: DNNLConvolution.Key) -> [Int] {
        let oh: Int, ow: Int
        if key.transposed {
            oh = (key.ih - 1) * key.stride - key.padTop - key.padBottom + key.kh
            ow = (key.iw - 1) * key.stride - key.padLeft - key.padRight + key.kw
        } else {
            oh = (key.ih + key.padTop + key.padBottom - key.dilation * (key.kh - 1) - 1) / key.stride + 1
            ow = (key.iw + key.padLeft + key.padRight - key.dilation * (key.kw - 1) - 1) / key.stride + 1
        }
        return [key.n, key.oc, oh, ow]
    }

    /// Runs a (transposed) convolution described by `key` on raw buffers in its layout and types,
    /// compiling a plan for it on first use (and another whenever all of its plans are busy on other threads).
    /// - Throws: `ConvolutionError` when oneDNN cannot plan or run it; the plan involved is dropped.
    static func run(_ key: DNNLConvolution.Key, input: UnsafeRawPointer, weights: ConvolutionWeights,
                    output: UnsafeMutableRawPointer) throws {
        precondition(weights.bias != nil || !key.hasBias, "plan \(key) wants a bias")
        let plans = try cache.get()
        let plan = try plans.checkOut(key)
        try plan.run(input: input, weights: weights, output: output)
        plans.checkIn(plan)
    }

    /// Throws a `ConvolutionError` naming `operation` and the convolution unless `status` is success.
    static func check(_ status: dnnl_status_t, _ operation: @autoclosure () -> String, _ key: DNNLConvolution.Key?) throws {
        guard status != dnnl_success else { return }
        throw ConvolutionError(operation: operation(), status: Int(status.rawValue), convolution: key?.description)
    }

    static func md(_ dims: [Int], _ tag: dnnl_format_tag_t, _ type: dnnl_data_type_t, _ key: DNNLConvolution.Key)
        throws -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        let d = dims.map(Int64.init)
        try check(dnnl_memory_desc_init_by_tag(&md, Int32(d.count), d, type, tag), "dnnl_memory_desc_init_by_tag \(dims)", key)
        return md
    }
}
