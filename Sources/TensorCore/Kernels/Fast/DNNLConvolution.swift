import CDNNL
import Foundation

/// Convolutions through oneDNN (Debian `libdnnl-dev`, 2.6), its JIT kernels doing the arithmetic.
///
/// oneDNN is fastest when it chooses the memory layouts (`format_tag::any`: blocked
/// NHWC-like formats on AVX-512); with plain NCHW descriptors it falls back to
/// im2col + GEMM, several times slower (PERFORMANCE-NOTES.md). So each plan reorders
/// our NCHW tensors into its preferred layout and back. Weights are reordered (and, for
/// bf16 plans, converted) once per `ConvolutionWeights` and kept there. A plan is compiled
/// once per (shape, stride, padding, precision, …) and cached; calls are serialised by a
/// lock because a plan owns its scratch buffers. oneDNN's OpenMP pool is the only threading
/// used here, and it is never entered from inside `parallelFor`.
final class DNNLConvolution: @unchecked Sendable {
    struct Key: Hashable {
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
    }

    let key: Key
    let outputShape: [Int]
    private let primitive: dnnl_primitive_t
    private let stages: [Stage]   // reorders in, the convolution, reorder out
    private let userSrc: dnnl_memory_t, userBias: dnnl_memory_t?, userDst: dnnl_memory_t
    private var scratch: [UnsafeMutableRawPointer] = []
    /// The weights as the caller holds them (Float32, PyTorch layout), the layout and type the
    /// convolution reads them in, and the reorder between the two (run once per weight tensor).
    private let userWeights: dnnl_memory_t, packedWeights: dnnl_memory_t
    private var packedWeightsMD: dnnl_memory_desc_t
    private let weightsReorder: dnnl_primitive_t

    private struct Stage {
        let primitive: dnnl_primitive_t
        let args: [dnnl_exec_arg_t]
    }

    init(_ key: Key, engine: dnnl_engine_t) {
        self.key = key
        outputShape = DNNL.outputShape(key)

        // oneDNN's fast kernels on this CPU want NHWC (`acdb`); channels-last callers skip the reorders.
        let activationTag = key.channelsLast ? dnnl_nhwc : dnnl_nchw
        let (src, dst) = (key.source.dnnlType, key.destination.dnnlType)
        var srcUser = DNNL.md([key.n, key.ic, key.ih, key.iw], activationTag, src)
        var dstUser = DNNL.md(outputShape, activationTag, dst)
        // PyTorch stores Conv2d weights [O, I, kh, kw] and ConvTranspose2d weights [I, O, kh, kw];
        // oneDNN's logical weight dims are always (O, I, kh, kw), so the latter is tag `iohw`.
        var weightsUser = DNNL.md([key.oc, key.ic, key.kh, key.kw], key.transposed ? dnnl_iohw : dnnl_oihw)
        var biasMD = DNNL.md([key.oc], dnnl_a)
        var srcAny = DNNL.md([key.n, key.ic, key.ih, key.iw], dnnl_format_tag_any, src)
        var dstAny = DNNL.md(outputShape, dnnl_format_tag_any, dst)
        var weightsAny = DNNL.md([key.oc, key.ic, key.kh, key.kw], dnnl_format_tag_any, src)

        let strides: [Int64] = [Int64(key.stride), Int64(key.stride)]
        let pads: [Int64] = [Int64(key.padTop), Int64(key.padLeft)]
        let padsEnd: [Int64] = [Int64(key.padBottom), Int64(key.padRight)]
        let dilates: [Int64] = [Int64(key.dilation - 1), Int64(key.dilation - 1)]  // oneDNN counts extra gaps

        var attr: dnnl_primitive_attr_t?
        DNNL.check(dnnl_primitive_attr_create(&attr), "attr")
        defer { dnnl_primitive_attr_destroy(attr) }
        if let slope = key.leakySlope {
            var postOps: dnnl_post_ops_t?
            DNNL.check(dnnl_post_ops_create(&postOps), "post ops")
            DNNL.check(dnnl_post_ops_append_eltwise(postOps, 1, dnnl_eltwise_relu, slope, 0), "eltwise")
            DNNL.check(dnnl_primitive_attr_set_post_ops(attr, postOps), "set post ops")
            dnnl_post_ops_destroy(postOps)
        }

        var pd: dnnl_primitive_desc_t?
        let biasCopy = biasMD
        withUnsafePointer(to: biasCopy) { biasPointer in
        let bias: UnsafePointer<dnnl_memory_desc_t>? = key.hasBias ? biasPointer : nil
        if key.transposed {
            var desc = dnnl_deconvolution_desc_t()
            DNNL.check(dnnl_dilated_deconvolution_forward_desc_init(
                &desc, dnnl_forward_inference, dnnl_deconvolution_direct, &srcAny, &weightsAny,
                bias, &dstAny, strides, dilates, pads, padsEnd), "deconvolution desc \(key)")
            DNNL.check(dnnl_primitive_desc_create(&pd, &desc, attr, engine, nil), "deconvolution pd \(key)")
        } else {
            var desc = dnnl_convolution_desc_t()
            DNNL.check(dnnl_dilated_convolution_forward_desc_init(
                &desc, dnnl_forward_inference, dnnl_convolution_direct, &srcAny, &weightsAny,
                bias, &dstAny, strides, dilates, pads, padsEnd), "convolution desc \(key)")
            DNNL.check(dnnl_primitive_desc_create(&pd, &desc, attr, engine, nil), "convolution pd \(key)")
        }
        }
        defer { dnnl_primitive_desc_destroy(pd) }
        var prim: dnnl_primitive_t?
        DNNL.check(dnnl_primitive_create(&prim, pd), "primitive \(key)")
        primitive = prim!

        userSrc = DNNL.memory(&srcUser, engine)
        userDst = DNNL.memory(&dstUser, engine)
        userWeights = DNNL.memory(&weightsUser, engine)
        userBias = key.hasBias ? DNNL.memory(&biasMD, engine) : nil

        var stages: [Stage] = []
        var scratch: [UnsafeMutableRawPointer] = []
        /// Returns the memory the convolution should use for one argument: the user's
        /// own when the layouts agree, else a scratch buffer with a reorder between them.
        func bind(_ user: dnnl_memory_t, _ userMD: inout dnnl_memory_desc_t, wanted: UnsafePointer<dnnl_memory_desc_t>,
                  input: Bool) -> dnnl_memory_t {
            if dnnl_memory_desc_equal(&userMD, wanted) != 0 { return user }
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(dnnl_memory_desc_get_size(wanted), 64), alignment: 64)
            scratch.append(buffer)
            let inner = DNNL.memory(wanted, engine, buffer)
            var rpd: dnnl_primitive_desc_t?
            if input {
                DNNL.check(dnnl_reorder_primitive_desc_create(&rpd, &userMD, engine, wanted, engine, nil), "reorder in")
            } else {
                DNNL.check(dnnl_reorder_primitive_desc_create(&rpd, wanted, engine, &userMD, engine, nil), "reorder out")
            }
            var r: dnnl_primitive_t?
            DNNL.check(dnnl_primitive_create(&r, rpd), "reorder primitive")
            dnnl_primitive_desc_destroy(rpd)
            let args = input
                ? [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: user), dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: inner)]
                : [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: inner), dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: user)]
            stages.append(Stage(primitive: r!, args: args))
            return inner
        }
        let srcBound = bind(userSrc, &srcUser, wanted: dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0), input: true)
        packedWeightsMD = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0)!.pointee
        packedWeights = DNNL.memory(&packedWeightsMD, engine, nil)
        var rpd: dnnl_primitive_desc_t?
        DNNL.check(dnnl_reorder_primitive_desc_create(&rpd, &weightsUser, engine, &packedWeightsMD, engine, nil), "weights reorder")
        var reorder: dnnl_primitive_t?
        DNNL.check(dnnl_primitive_create(&reorder, rpd), "weights reorder primitive")
        dnnl_primitive_desc_destroy(rpd)
        weightsReorder = reorder!
        var convArgs = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: srcBound),
                        dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: packedWeights)]
        if let userBias { convArgs.append(dnnl_exec_arg_t(arg: DNNL_ARG_BIAS, memory: userBias)) }
        let dstWanted = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0)!
        let dstIsUser = dnnl_memory_desc_equal(&dstUser, dstWanted) != 0
        var dstInternal = userDst
        var dstStage: Stage?
        if !dstIsUser {
            var tail: [Stage] = []
            swap(&tail, &stages)
            dstInternal = bind(userDst, &dstUser, wanted: dstWanted, input: false)
            dstStage = stages.removeLast()
            stages = tail
        }
        convArgs.append(dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: dstInternal))
        stages.append(Stage(primitive: primitive, args: convArgs))
        if let dstStage { stages.append(dstStage) }
        self.stages = stages
        self.scratch = scratch
    }

    /// Runs the plan on raw buffers in the key's layout and types; the weights are packed for this
    /// plan's kernel on first use and the packed copy is kept in `weights` for every later call.
    func run(input: UnsafeRawPointer, weights: ConvolutionWeights, output: UnsafeMutableRawPointer, stream: dnnl_stream_t) {
        dnnl_memory_set_data_handle(packedWeights, packed(weights, stream: stream))
        dnnl_memory_set_data_handle(userSrc, UnsafeMutableRawPointer(mutating: input))
        dnnl_memory_set_data_handle(userDst, output)
        guard let userBias, let bias = weights.bias else { return execute(stream) }
        bias.scalars.withUnsafeBufferPointer { b in
            dnnl_memory_set_data_handle(userBias, UnsafeMutableRawPointer(mutating: b.baseAddress!))
            execute(stream)
        }
    }

    private func execute(_ stream: dnnl_stream_t) {
        for stage in stages {
            stage.args.withUnsafeBufferPointer { args in
                DNNL.check(dnnl_primitive_execute(stage.primitive, stream, Int32(args.count), args.baseAddress), "execute")
            }
        }
        DNNL.check(dnnl_stream_wait(stream), "wait")
    }

    /// The copy of `weights` in the layout and type this plan's kernel reads, made on first use.
    /// Plans that want the same layout (the same layer at another frame size, usually) share it.
    private func packed(_ weights: ConvolutionWeights, stream: dnnl_stream_t) -> UnsafeMutableRawPointer {
        for entry in weights.packed {
            var descriptor = entry.descriptor
            if dnnl_memory_desc_equal(&descriptor, &packedWeightsMD) != 0 { return entry.buffer }
        }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(dnnl_memory_desc_get_size(&packedWeightsMD), 64), alignment: 64)
        weights.weight.scalars.withUnsafeBufferPointer { w in
            dnnl_memory_set_data_handle(userWeights, UnsafeMutableRawPointer(mutating: w.baseAddress!))
            dnnl_memory_set_data_handle(packedWeights, buffer)
            var args = [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: userWeights), dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: packedWeights)]
            DNNL.check(dnnl_primitive_execute(weightsReorder, stream, Int32(args.count), &args), "weights reorder")
            DNNL.check(dnnl_stream_wait(stream), "wait")
        }
        weights.packed.append((packedWeightsMD, buffer))
        return buffer
    }
}

/// The process-wide oneDNN engine, stream and plan cache.
enum DNNL {
    private final class State: @unchecked Sendable {
        let engine: dnnl_engine_t
        let stream: dnnl_stream_t
        var plans: [DNNLConvolution.Key: DNNLConvolution] = [:]
        let lock = NSLock()
        init() {
            var e: dnnl_engine_t?
            DNNL.check(dnnl_engine_create(&e, dnnl_cpu, 0), "engine")
            engine = e!
            var s: dnnl_stream_t?
            DNNL.check(dnnl_stream_create(&s, engine, dnnl_stream_default_flags.rawValue), "stream")
            stream = s!
        }
    }
    private static let state = State()

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
    /// compiling its plan on first use.
    static func run(_ key: DNNLConvolution.Key, input: UnsafeRawPointer, weights: ConvolutionWeights,
                    output: UnsafeMutableRawPointer) {
        precondition(weights.bias != nil || !key.hasBias, "plan \(key) wants a bias")
        let s = state
        s.lock.lock()
        defer { s.lock.unlock() }
        let plan: DNNLConvolution
        if let cached = s.plans[key] { plan = cached } else {
            plan = DNNLConvolution(key, engine: s.engine)
            s.plans[key] = plan
        }
        plan.run(input: input, weights: weights, output: output, stream: s.stream)
    }

    static func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) {
        if status != dnnl_success { fatalError("oneDNN \(what()) failed with status \(status.rawValue)") }
    }

    static func md(_ dims: [Int], _ tag: dnnl_format_tag_t, _ type: dnnl_data_type_t = dnnl_f32) -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        let d = dims.map(Int64.init)
        check(dnnl_memory_desc_init_by_tag(&md, Int32(d.count), d, type, tag), "memory desc \(dims)")
        return md
    }

    static func memory(_ md: UnsafePointer<dnnl_memory_desc_t>, _ engine: dnnl_engine_t,
                       _ handle: UnsafeMutableRawPointer? = nil) -> dnnl_memory_t {
        var m: dnnl_memory_t?
        check(dnnl_memory_create(&m, md, engine, handle), "memory")
        return m!
    }
}
