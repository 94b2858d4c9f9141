import Neuron
import NeuronData

/// Replays a training step's forward and backward as a recorded graph — a `CUDAGraph` on a
/// GPU (PyTorch's `torch.cuda.make_graphed_callables`), a `CPUGraph` on the CPU — so that
/// small models are not bound by the cost of issuing their kernels one by one: on a GPU the
/// launches, on the CPU the Swift around each kernel (tensor objects, autograd nodes,
/// allocations).
///
/// The first two batches of a shape run eagerly (they build kernels and create optimiser
/// state); the third is recorded into a graph that reads static copies of the batch's fields,
/// and every later batch of that shape is copied into them and replayed. The optimiser's update
/// stays outside the graph, so schedules, clipping and gradient all-reduce see every step. A
/// step that draws random numbers (dropout) or reads values on the host mid-way is not
/// replayable: its recording runs once as a normal step and the step runs op by op from then on.
public final class StepGraph {
    /// Off: every step runs op by op.
    public var enabled: Bool
    /// Eager steps before a shape is captured.
    public var warmup = 2
    /// The most host memory a step recorded as a CPU graph may allocate (see `CPUGraphBudget`).
    public var cpuMemoryLimit: Int {
        get { budget.limit }
        set { budget.limit = newValue }
    }
    private var budget = CPUGraphBudget()

    /// A recorded step on either kind of device.
    private enum Graph {
        case cuda(CUDAGraph)
        case cpu(CPUGraph)

        func replay() {
            switch self {
            case .cuda(let graph): graph.replay()
            case .cpu(let graph): graph.replay()
            }
        }
    }

    private struct Captured {
        let graph: Graph
        let batch: Batch
        let loss: Tensor, outputs: Tensor
        /// The gradients the graph writes, re-attached after every replay.
        let gradients: [(parameter: Tensor, gradient: Tensor)]
    }
    /// Per batch shape: the eager steps seen and, after them, the graph.
    private var captured: [[String]: Captured] = [:]
    private var eagerSteps: [[String]: Int] = [:]
    /// Set once a capture drew random numbers: the step is not replayable.
    public private(set) var refused = false

    public init(enabled: Bool = true) { self.enabled = enabled }

    /// The last batch's field shapes and dtypes, and its key: consecutive batches of one shape
    /// reuse the key instead of formatting it again.
    private var lastLayout: [String: ([Int], DType)] = [:]
    private var lastKey: [String] = []

    /// A batch's fields, dtypes and shapes, as the key of its graph.
    private func key(of batch: Batch) -> [String] {
        let layout = batch.fields.mapValues { ($0.shape, $0.dtype) }
        let same =
            layout.count == lastLayout.count
            && layout.allSatisfy { name, value in
                lastLayout[name].map { $0.0 == value.0 && $0.1 == value.1 } ?? false
            }
        if !same {
            lastLayout = layout
            lastKey = layout.keys.sorted().map { "\($0):\(layout[$0]!.1)\(layout[$0]!.0)" }
        }
        return lastKey
    }

    /// Whether the last `run` ran the step as a graph: a replay, or the recording of one.
    public private(set) var lastReplayed = false

    /// Runs forward and backward of `batch` from the graph, once one exists for its shape, and
    /// returns the loss and outputs (whose values are current after the replay); nil tells the
    /// caller to run the step eagerly itself. `forward` maps a batch to (loss, outputs); the
    /// gradients of `parameters` are reset before the capture.
    public func run(
        _ batch: Batch, parameters: @autoclosure () -> [Tensor], zeroGrad: () -> Void,
        _ forward: (Batch) -> (loss: Tensor, outputs: Tensor)
    ) -> (loss: Tensor, outputs: Tensor)? {
        lastReplayed = false
        // The batch is on the model's device (the loop moves it there).
        guard enabled, !refused, let device = batch.fields.values.first?.device, device.isCUDA || device.isCPU else { return nil }
        if device.isCPU { budget.stepBegins() }
        let key = key(of: batch)
        if captured[key] == nil {
            guard eagerSteps[key, default: 0] >= warmup else {
                eagerSteps[key, default: 0] += 1
                return nil
            }
            if device.isCPU && !budget.allowsRecording {
                refused = true
                return nil
            }
            var fields: [String: Tensor] = [:]
            for (name, tensor) in batch.fields { fields[name] = tensor.to(device).contiguous().copy() }
            let inputs = Batch(fields)
            zeroGrad()
            var result: (loss: Tensor, outputs: Tensor)!
            let body = {
                result = forward(inputs)
                result.loss.backward()
            }
            let graph: Graph
            if device.isCUDA {
                // A CUDA capture queues the work without running it.
                let recorded = CUDAGraph(device: device, body)
                guard let recorded, !recorded.drewRandomNumbers else {
                    // Not replayable; this batch's step ran (or runs now) once all the same.
                    refused = true
                    recorded?.replay()
                    return (result.loss, result.outputs.detach())
                }
                graph = .cuda(recorded)
            } else {
                // A CPU recording runs the work as it records it.
                guard let recorded = CPUGraph(body), !recorded.drewRandomNumbers else {
                    refused = true
                    return (result.loss, result.outputs.detach())
                }
                graph = .cpu(recorded)
            }
            captured[key] = Captured(
                graph: graph, batch: inputs, loss: result.loss, outputs: result.outputs.detach(),
                gradients: gradients(of: parameters()))
            if case .cpu = graph {
                // The recording ran this step already (a CUDA capture only queued it).
                lastReplayed = true
                return (result.loss, captured[key]!.outputs)
            }
        }
        let step = captured[key]!
        for (name, tensor) in batch.fields { step.batch.fields[name]!.assign(tensor) }
        step.graph.replay()
        for (parameter, gradient) in step.gradients { parameter.grad = gradient }
        lastReplayed = true
        return (step.loss, step.outputs)
    }
}

/// Whether a training step is small enough to record as a `CPUGraph`. A graph keeps every
/// intermediate result of its step apart, which an op-by-op step frees and reuses as it goes; a
/// step that allocates more than `limit` (64 MiB by default, measured between consecutive steps
/// before any recording, so the recording never raises the peak) has kernels long enough that
/// the Swift around them is noise, and runs op by op.
struct CPUGraphBudget {
    var limit = 64 << 20
    /// Host bytes allocated when the last step began, and the most one step allocated since.
    private var allocatedAtLastStep: Int?
    private var allocatedPerStep = 0

    /// Call as each step begins (its update and batch count with the step before).
    mutating func stepBegins() {
        let allocated = Memory.allocatedBytes
        if let last = allocatedAtLastStep { allocatedPerStep = max(allocatedPerStep, allocated - last) }
        allocatedAtLastStep = allocated
    }

    var allowsRecording: Bool { allocatedPerStep <= limit }
}

/// Each parameter with its current gradient, for those that have one: what a recorded step
/// writes, re-attached after every replay.
func gradients(of parameters: [Tensor]) -> [(parameter: Tensor, gradient: Tensor)] {
    parameters.compactMap { p in p.grad.map { (p, $0) } }
}
