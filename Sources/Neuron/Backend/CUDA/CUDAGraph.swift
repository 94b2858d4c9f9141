import CNeuronCUDA

/// GPU work recorded once and replayed with one launch (PyTorch's `torch.cuda.CUDAGraph`), for
/// steps bound by the cost of launching many small kernels rather than by the kernels.
///
/// Capturing runs `body` without executing its GPU work; `replay()` executes it, on the same
/// memory each time. Feed new inputs by copying them into the tensors the body read
/// (`input.assign(batch)`), and read the tensors it produced after `replay()`. Tensors allocated
/// during the capture keep their memory for the graph's lifetime. Random numbers drawn during
/// it would be the same at every replay, which `drewRandomNumbers` reports. A body that needs
/// results on the host (`item`, `toArray`, a host copy to the GPU) cannot be replayed: the
/// capture stops there, the work so far runs, the rest runs op by op, and `init` returns nil.
///
/// ```swift
/// let input = Tensor.zeros([64, 784], device: .cuda(0))
/// var output: Tensor!
/// let graph = CUDAGraph(device: .cuda(0)) { output = model(input) }
/// input.assign(batch)
/// graph.replay()
/// print(output)
/// ```
public final class CUDAGraph {
    public let device: Device
    /// Whether the captured work drew random numbers (dropout, noise).
    public let drewRandomNumbers: Bool
    private let backend: CUDABackend
    private let graph: CUgraph, executable: CUgraphExec, pool: Int

    /// Records the work `body` queues on `device`; nil when the body needed results on the host
    /// (it has then run op by op, to its end).
    public init?(device: Device, _ body: () -> Void) {
        precondition(device.kind == .cuda, "CUDAGraph: graphs record CUDA work; \(device) is not a CUDA device")
        guard let backend = device.backend as? CUDABackend else { preconditionFailure("CUDAGraph: \(device) has no CUDA backend") }
        self.device = device
        self.backend = backend
        backend.beginCapture()
        body()
        guard let recorded = backend.endCapture() else { return nil }
        (graph, executable, pool, drewRandomNumbers) = recorded
    }

    /// Runs the recorded work again (queued on the device's stream, like any op).
    public func replay() { backend.replay(executable) }

    deinit {
        // A replay may still run: destroy the graph once the stream has finished it.
        backend.synchronize()
        backend.enter()
        _ = nk_cuda.cuGraphExecDestroy!(executable)
        _ = nk_cuda.cuGraphDestroy!(graph)
        backend.allocator.releaseGraph(pool)
    }
}
