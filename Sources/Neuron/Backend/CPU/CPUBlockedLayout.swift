import CNeuronKernels
import Synchronization

/// How float32 convolutions on the CPU store the activations they produce.
///
/// oneDNN's convolution kernels work on channel-blocked layouts (nChw16c with AVX-512, nChw8c
/// with AVX2: each pixel's channels in blocks of 16 or 8, innermost). With `.blocked`, the
/// default, a convolution's output and input gradient stay in that layout, and so do the batch
/// norms, ReLUs, residual sums and gradient sums between convolutions, so consecutive layers
/// skip the reorders from and to NCHW that `.plain` makes at every call. The layout is an
/// internal detail: a blocked tensor has its usual NCHW shape, and the first operation that
/// reads it some other way (a view, a pooling, `toArray`) converts it back to row-major order.
///
/// The `NEURON_CONV_LAYOUT` environment variable (`blocked` or `plain`) sets the default;
/// ``run(_:_:)`` switches it for one thread, which is how tests compare the two.
public enum ConvolutionLayout: Sendable, CustomStringConvertible {
    /// Row-major NCHW throughout: each convolution reorders its operands.
    case plain
    /// oneDNN's channel-blocked layout between layers that read it.
    case blocked

    /// The layout convolutions called from this thread produce.
    public static var current: ConvolutionLayout { nk_blocked_layouts() != 0 ? .blocked : .plain }

    /// Runs `body` with this thread's convolutions producing `layout`, then restores the previous one.
    public static func run<Result>(_ layout: ConvolutionLayout, _ body: () throws -> Result) rethrows -> Result {
        let previous = nk_set_blocked_layouts(layout == .blocked ? 1 : 0)
        defer { nk_set_blocked_layouts(previous) }
        return try body()
    }

    public var description: String { self == .plain ? "plain" : "blocked" }
}

/// The layout of a channel-blocked activation of `shape` [n, c, h, w]: [n][c / block][h·w][block].
struct ChannelBlocking: Equatable {
    let block: Int
    let shape: [Int]
}

/// Held while a storage changes layout: two threads reading one blocked tensor convert it once.
private let unblocking = Mutex(())

extension Storage {
    /// Converts a channel-blocked activation back to row-major order, for every view of it.
    func unblock() {
        unblocking.withLock { _ in
            guard let blocking else { return }
            self.blocking = nil
            let s = blocking.shape
            replaceMemory { from, to in
                nk_channel_block_f32(
                    from.assumingMemoryBound(to: Float.self), to.assumingMemoryBound(to: Float.self), Int64(s[0]), Int64(s[1]),
                    Int64(s[2] * s[3]), Int64(blocking.block), 0)
            }
        }
    }
}

extension Tensor {
    /// 8 or 16 when this tensor is a whole channel-blocked activation (its storage's shape, from
    /// its start), else 0: then `pointer` reads it in row-major order.
    var channelBlock: Int {
        guard let blocking = storage.blocking, dtype == .float32, offset == 0, shape == blocking.shape, isContiguous
        else { return 0 }
        return blocking.block
    }

    /// The address of the first element as stored, blocked or not: for layout-aware kernels.
    var storedPointer: UnsafeMutablePointer<Float> {
        (UnsafeMutableRawPointer(bitPattern: storage.address)! + offset * dtype.size).assumingMemoryBound(to: Float.self)
    }

    /// Records that this new tensor's elements are stored blocked by `block` (nothing for 0).
    func markBlocked(_ block: Int) {
        if block > 0 { storage.blocking = ChannelBlocking(block: block, shape: shape) }
    }
}

extension CPUBackend {
    /// Converts every blocked storage that one of `operands` reads only partly (a view, a
    /// slice, an element) back to NCHW, before a layout-aware op decides how to read them:
    /// afterwards each operand is either a whole blocked activation or plain memory, so no
    /// `pointer` call among them changes another one's layout.
    func settleViews(_ operands: [Tensor?]) {
        for operand in operands {
            if let operand, operand.storage.blocking != nil, operand.channelBlock == 0 { operand.storage.unblock() }
        }
    }

    /// The channel block `tensor` is stored with, as the ops of this thread may read it: 0 while
    /// a `CPUGraph` records, whose replays read memory without checking its layout.
    func storedBlock(_ tensor: Tensor) -> Int {
        let block = tensor.channelBlock
        return block > 0 && !CPUGraph.isRecording ? block : 0
    }

    /// The layout a per-element (or per-channel) result of `shape` takes from its operands
    /// (nil ones left out): a block when one of them is blocked and the others are blocked
    /// alike, plain tensors of `shape`, or single elements; 0 (plain) otherwise.
    func elementwiseBlock(_ shape: [Int], _ operands: Tensor?...) -> Int {
        guard shape.count == 4 else { return 0 }
        settleViews(operands)
        var block = 0
        for case let operand? in operands {
            let b = storedBlock(operand)
            if b > 0 {
                if block > 0 && b != block { return 0 }
                block = b
            } else if operand.count != 1 && (operand.shape != shape || operand.dtype != .float32) {
                return 0
            }
        }
        return block
    }

    /// `tensor` (of a blocked activation's shape) stored blocked by `block`: itself when it is,
    /// else a blocked copy. A single element stays as it is.
    func blocked(_ tensor: Tensor, _ block: Int) -> Tensor {
        if tensor.count == 1 || storedBlock(tensor) == block { return tensor }
        let plain = tensor.isContiguous ? tensor : contiguousCopy(tensor)
        let out = Tensor(uninitialized: tensor.shape, dtype: .float32)
        let s = tensor.shape
        nk_channel_block_f32(
            plain.pointer(as: Float.self), out.storedPointer, Int64(s[0]), Int64(s[1]), Int64(s[2] * s[3]), Int64(block), 1)
        out.markBlocked(block)
        return out
    }
}
