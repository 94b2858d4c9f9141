import CNeuronCUDA

/// GPU work recorded once and replayed with one launch (PyTorch's `torch.cuda.CUDAGraph`), for
/// steps bound by the cost of launching many small kernels rather than by the kernels.
///
/// Capturing runs `body` without executing its GPU work; `replay()` executes it, on the same
/// memory each time. Feed new inputs by copying them into the tensors the body read
/// (`input.assign(batch)`), and read the tensors it produced after `replay()`. The body may not
/// read values (`item`, `toArray`) nor copy host data to the GPU. Tensors allocated during the
/// capture keep their memory for the graph's lifetime; random numbers drawn during it would be
/// the same at every replay, which `drewRandomNumbers` reports.
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

    /// Records the work `body` queues on `device`.
    public init(device: Device, _ body: () -> Void) {
        precondition(device.kind == .cuda, "CUDAGraph: graphs record CUDA work; \(device) is not a CUDA device")
        guard let backend = device.backend as? CUDABackend else { preconditionFailure("CUDAGraph: \(device) has no CUDA backend") }
        self.device = device
        self.backend = backend
        backend.beginCapture()
        body()
        (graph, executable, pool, drewRandomNumbers) = backend.endCapture()
    }

    /// Runs the recorded work again (queued on the device's stream, like any op).
    public func replay() { backend.replay(executable) }

    deinit {
        backend.enter()
        _ = nk_cuda.cuGraphExecDestroy!(executable)
        _ = nk_cuda.cuGraphDestroy!(graph)
        backend.allocator.releaseGraph(pool)
    }
}
