import CNeuronKernels

/// CPU work recorded once and replayed without the Swift that issued it: no tensor objects,
/// shape checks, autograd nodes or allocations, only the kernels in order on the same memory —
/// for steps of small models, where that bookkeeping costs as much as the arithmetic. The CPU
/// counterpart of ``CUDAGraph``, with the same contract.
///
/// Recording runs `body` as usual and keeps each kernel it calls on this thread with its
/// operands. Tensors those kernels touched keep their memory for the graph's lifetime, so a
/// replay writes where the recording did: feed new inputs by copying them into the tensors the
/// body read (`input.assign(batch)`), and read the tensors it produced after `replay()`.
/// Random numbers drawn during the recording would be the same at every replay, which
/// `drewRandomNumbers` reports. A body that reads values on the host (`item`, `toArray`) or
/// copies host data in cannot be replayed, since Swift decided something from them: it runs to
/// its end and `init` returns nil.
/// While a graph records, convolutions store their activations in NCHW rather than
/// ``ConvolutionLayout/blocked`` (a replay reads memory without checking its layout).
///
/// ```swift
/// let input = Tensor.zeros([64, 784])
/// var output: Tensor!
/// let graph = CPUGraph { output = model(input) }
/// input.assign(batch)
/// graph!.replay()
/// print(output)
/// ```
public final class CPUGraph {
    /// Whether the recorded work drew random numbers (dropout, noise).
    public let drewRandomNumbers: Bool
    private let kernels: [() -> Void]

    /// Runs and records `body`'s CPU kernels; nil when the body needed the host (it has run to
    /// its end all the same).
    public init?(_ body: () -> Void) {
        let recording = CPURecording()
        let previous = nk_set_recording(Unmanaged.passUnretained(recording).toOpaque())
        body()
        nk_set_recording(previous)
        guard !recording.needsHost else { return nil }
        kernels = recording.kernels
        drewRandomNumbers = recording.drewRandomNumbers
    }

    /// Whether a graph records on this thread: code that would decide something from values on
    /// the host (a shortcut that skips work) takes the general path instead.
    public static var isRecording: Bool { nk_recording() != nil }

    /// The number of kernel calls one replay makes.
    public var kernelCount: Int { kernels.count }

    /// Runs the recorded kernels again, in order.
    public func replay() {
        for kernel in kernels { kernel() }
    }
}

/// What a `CPUGraph` collects while its body runs.
final class CPURecording {
    var kernels: [() -> Void] = []
    /// Set by work a replay could not repeat faithfully.
    var needsHost = false
    var drewRandomNumbers = false

    /// The recording of this thread, if one runs.
    static var current: CPURecording? {
        guard let opaque = nk_recording() else { return nil }
        return Unmanaged<CPURecording>.fromOpaque(opaque).takeUnretainedValue()
    }
}

extension CPUBackend {
    /// Runs `kernel` now and, while a `CPUGraph` records on this thread, keeps it for replays.
    /// It captures the tensors it reads and writes, which keeps their memory for the graph.
    @inline(__always)
    func launch(_ kernel: @escaping () -> Void) {
        kernel()
        if let recording = CPURecording.current { recording.kernels.append(kernel) }
    }

    /// Marks the recording, if any, as not replayable: the host read or wrote tensor memory, or
    /// a kernel took values that change from step to step (an optimiser's step count).
    @inline(__always)
    func cannotReplay() {
        if let recording = CPURecording.current { recording.needsHost = true }
    }
}
