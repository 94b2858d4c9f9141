import Foundation
import Synchronization

/// A device whose memory the host cannot address: its addresses are handles into a private
/// table, and every op copies its operands to the CPU backend and the results back. It is slow
/// on purpose and exists for tests: a suite that passes on it proves that tensors reach memory
/// only through the backend contract (anything else stops at `Tensor.pointer`).
final class SimulatedBackend: Backend {
    static let shared = SimulatedBackend()

    private struct Blocks {
        var memory: [UInt: UnsafeMutableRawPointer] = [:]
        var next: UInt = 0x1000
    }
    private let blocks = Mutex(Blocks())
    private let cpu = CPUBackend.shared

    var device: Device { .simulated }

    func allocate(byteCount: Int) -> (address: UInt, capacity: Int) {
        let capacity = Swift.max(byteCount, 1)
        let memory = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
        let address = blocks.withLock { blocks in
            let address = blocks.next
            // Handles leave a gap, so an address read as a pointer never lands in a block.
            blocks.next += UInt((capacity + 4095) / 4096 * 4096 + 4096)
            blocks.memory[address] = memory
            return address
        }
        return (address, capacity)
    }

    func release(address: UInt, capacity: Int) {
        blocks.withLock { $0.memory.removeValue(forKey: address) }?.deallocate()
    }

    private func block(_ storage: Storage) -> UnsafeMutableRawPointer {
        guard let memory = blocks.withLock({ $0.memory[storage.address] }) else {
            preconditionFailure("simulated device: unknown address \(storage.address)")
        }
        return memory
    }

    func upload(_ source: UnsafeRawPointer, byteCount: Int, into destination: Tensor) {
        (block(destination.storage) + destination.offset * destination.dtype.size).copyMemory(from: source, byteCount: byteCount)
    }

    func download(_ source: Tensor, into destination: UnsafeMutableRawPointer, byteCount: Int) {
        destination.copyMemory(from: block(source.storage) + source.offset * source.dtype.size, byteCount: byteCount)
    }

    func synchronize() {}

    // MARK: Moving operands to the CPU backend and results back

    /// A CPU tensor with `t`'s layout over a copy of its whole storage.
    private func host(_ t: Tensor) -> Tensor {
        let storage = Storage(byteCount: t.storage.capacity, device: .cpu)
        UnsafeMutableRawPointer(bitPattern: storage.address)!.copyMemory(from: block(t.storage), byteCount: t.storage.capacity)
        return Tensor(storage: storage, shape: t.shape, strides: t.strides, offset: t.offset, dtype: t.dtype)
    }

    private func host(_ t: Tensor?) -> Tensor? { t.map { host($0) } }

    /// A simulated tensor with the CPU result's layout and contents.
    private func adopt(_ h: Tensor) -> Tensor {
        h.storage.unblock()  // a CPU kernel may have left it channel-blocked
        let storage = Storage(byteCount: h.storage.capacity, device: .simulated)
        block(storage).copyMemory(from: UnsafeRawPointer(bitPattern: h.storage.address)!, byteCount: h.storage.capacity)
        return Tensor(storage: storage, shape: h.shape, strides: h.strides, offset: h.offset, dtype: h.dtype)
    }

    /// Copies the CPU copy made by `host` back over `t`'s storage, after an op wrote into it.
    private func writeBack(_ h: Tensor, to t: Tensor) {
        h.storage.unblock()
        block(t.storage).copyMemory(from: UnsafeRawPointer(bitPattern: h.storage.address)!, byteCount: t.storage.capacity)
    }

    private func host(_ operand: MatrixOperand) -> MatrixOperand {
        MatrixOperand(tensor: host(operand.tensor), transposed: operand.transposed, leadingDimension: operand.leadingDimension)
    }

    // MARK: The op half, delegated

    func fillRandom(_ x: Tensor, _ distribution: RandomDistribution, generator: RandomGenerator) {
        let h = host(x)
        cpu.fillRandom(h, distribution, generator: generator)
        writeBack(h, to: x)
    }

    func unary(_ kernel: UnaryKernel, _ x: Tensor, _ p0: Double, _ p1: Double) -> Tensor {
        adopt(cpu.unary(kernel, host(x), p0, p1))
    }

    func binary(_ kernel: BinaryKernel, _ a: Tensor, _ b: Tensor, shape: [Int], into destination: Tensor?) -> Tensor {
        let target = host(destination)
        let result = cpu.binary(kernel, host(a), host(b), shape: shape, into: target)
        guard let destination, let target else { return adopt(result) }
        writeBack(target, to: destination)
        return destination
    }

    func compare(_ kernel: CompareKernel, _ a: Tensor, _ b: Tensor, shape: [Int]) -> Tensor {
        adopt(cpu.compare(kernel, host(a), host(b), shape: shape))
    }

    func select(_ condition: Tensor, _ a: Tensor, _ b: Tensor, shape: [Int]) -> Tensor {
        adopt(cpu.select(host(condition), host(a), host(b), shape: shape))
    }

    func copy(_ source: Tensor, into destination: Tensor) {
        let target = host(destination)
        cpu.copy(host(source), into: target)
        writeBack(target, to: destination)
    }

    func cast(_ x: Tensor, to dtype: DType) -> Tensor { adopt(cpu.cast(host(x), to: dtype)) }

    func fill(_ x: Tensor, with value: Double) {
        let h = host(x)
        cpu.fill(h, with: value)
        writeBack(h, to: x)
    }

    func sum(_ x: Tensor, outer: Int, reduce: Int, inner: Int, shape: [Int]) -> Tensor {
        adopt(cpu.sum(host(x), outer: outer, reduce: reduce, inner: inner, shape: shape))
    }

    func extreme(_ x: Tensor, outer: Int, reduce: Int, inner: Int, shape: [Int], min: Bool) -> (values: Tensor, indices: Tensor) {
        let (values, indices) = cpu.extreme(host(x), outer: outer, reduce: reduce, inner: inner, shape: shape, min: min)
        return (adopt(values), adopt(indices))
    }

    func gather(_ x: Tensor, _ index: Tensor, outer: Int, axisSize: Int, inner: Int) -> Tensor {
        adopt(cpu.gather(host(x), host(index), outer: outer, axisSize: axisSize, inner: inner))
    }

    func scatterAdd(into out: Tensor, _ index: Tensor, _ source: Tensor, outer: Int, axisSize: Int, inner: Int) {
        let target = host(out)
        cpu.scatterAdd(into: target, host(index), host(source), outer: outer, axisSize: axisSize, inner: inner)
        writeBack(target, to: out)
    }

    func indexSelect(_ x: Tensor, _ index: Tensor, outer: Int, axisSize: Int, inner: Int, shape: [Int]) -> Tensor {
        adopt(cpu.indexSelect(host(x), host(index), outer: outer, axisSize: axisSize, inner: inner, shape: shape))
    }

    func indexAdd(into out: Tensor, _ index: Tensor, _ source: Tensor, outer: Int, axisSize: Int, inner: Int) {
        let target = host(out)
        cpu.indexAdd(into: target, host(index), host(source), outer: outer, axisSize: axisSize, inner: inner)
        writeBack(target, to: out)
    }

    func matmul(
        _ a: MatrixOperand, _ b: MatrixOperand, into out: Tensor, batchOffsets: [(Int, Int)], m: Int, n: Int, k: Int, accumulate: Bool
    ) {
        let target = host(out)
        cpu.matmul(host(a), host(b), into: target, batchOffsets: batchOffsets, m: m, n: n, k: k, accumulate: accumulate)
        writeBack(target, to: out)
    }

    func convolution(_ x: Tensor, _ w: Tensor, _ geometry: ConvGeometry, outputShape: [Int]) -> Tensor {
        adopt(cpu.convolution(host(x), host(w), geometry, outputShape: outputShape))
    }

    func convolutionAdjoint(_ y: Tensor, _ w: Tensor, _ geometry: ConvGeometry, inputShape: [Int]) -> Tensor {
        adopt(cpu.convolutionAdjoint(host(y), host(w), geometry, inputShape: inputShape))
    }

    func convolutionWeightGrad(_ x: Tensor, _ y: Tensor, _ geometry: ConvGeometry, weightShape: [Int]) -> Tensor {
        adopt(cpu.convolutionWeightGrad(host(x), host(y), geometry, weightShape: weightShape))
    }

    func fusedConvolution(
        _ x: Tensor, _ w: Tensor, bias: Tensor?, residual: Tensor?, clamp: ClosedRange<Double>?, _ geometry: ConvGeometry,
        outputShape: [Int]
    ) -> Tensor {
        adopt(
            cpu.fusedConvolution(
                host(x), host(w), bias: host(bias), residual: host(residual), clamp: clamp, geometry, outputShape: outputShape))
    }

    func channelStats(_ x: Tensor, n: Int, c: Int, inner: Int) -> (mean: Tensor, variance: Tensor) {
        let (mean, variance) = cpu.channelStats(host(x), n: n, c: c, inner: inner)
        return (adopt(mean), adopt(variance))
    }

    func channelGradSums(_ gy: Tensor, _ x: Tensor, mean: Tensor, n: Int, c: Int, inner: Int) -> (sum: Tensor, dot: Tensor) {
        let (sum, dot) = cpu.channelGradSums(host(gy), host(x), mean: host(mean), n: n, c: c, inner: inner)
        return (adopt(sum), adopt(dot))
    }

    func channelAffine(_ u: Tensor, _ v: Tensor?, a: Tensor, b: Tensor?, d: Tensor, n: Int, c: Int, inner: Int) -> Tensor {
        adopt(cpu.channelAffine(host(u), host(v), a: host(a), b: host(b), d: host(d), n: n, c: c, inner: inner))
    }

    func maxPool(_ x: Tensor, outputSize: (Int, Int), _ pool: PoolGeometry) -> (values: Tensor, indices: Tensor) {
        let (values, indices) = cpu.maxPool(host(x), outputSize: outputSize, pool)
        return (adopt(values), adopt(indices))
    }

    func windowAverage(_ source: Tensor, _ rows: Windows, _ cols: Windows, backward: Bool, inputShape: [Int]) -> Tensor {
        adopt(cpu.windowAverage(host(source), rows, cols, backward: backward, inputShape: inputShape))
    }

    func adam(
        _ parameter: Tensor, grad: Tensor, expAvg: Tensor, expAvgSq: Tensor, maxExpAvgSq: Tensor?,
        lr: Double, beta1: Double, beta2: Double, eps: Double, weightDecay: Double, decoupled: Bool, step: Int
    ) {
        let (p, m, v, vMax) = (host(parameter), host(expAvg), host(expAvgSq), host(maxExpAvgSq))
        cpu.adam(
            p, grad: host(grad), expAvg: m, expAvgSq: v, maxExpAvgSq: vMax, lr: lr, beta1: beta1, beta2: beta2, eps: eps,
            weightDecay: weightDecay, decoupled: decoupled, step: step)
        writeBack(p, to: parameter)
        writeBack(m, to: expAvg)
        writeBack(v, to: expAvgSq)
        if let vMax, let maxExpAvgSq { writeBack(vMax, to: maxExpAvgSq) }
    }

    func sgd(
        _ parameter: Tensor, grad: Tensor, momentumBuffer: Tensor?, lr: Double, momentum: Double,
        dampening: Double, weightDecay: Double, nesterov: Bool, firstStep: Bool
    ) {
        let (p, buffer) = (host(parameter), host(momentumBuffer))
        cpu.sgd(
            p, grad: host(grad), momentumBuffer: buffer, lr: lr, momentum: momentum, dampening: dampening,
            weightDecay: weightDecay, nesterov: nesterov, firstStep: firstStep)
        writeBack(p, to: parameter)
        if let buffer, let momentumBuffer { writeBack(buffer, to: momentumBuffer) }
    }

    func oneHot(_ classes: Tensor, width: Int) -> Tensor { adopt(cpu.oneHot(host(classes), width: width)) }

    private func host(_ io: RecurrenceTensors) -> RecurrenceTensors {
        var h = RecurrenceTensors(
            steps: io.steps, n: io.n, hidden: io.hidden, projections: host(io.projections), hiddenWeight: host(io.hiddenWeight),
            hiddenBias: host(io.hiddenBias), h0: host(io.h0), c0: host(io.c0), active: host(io.active))
        h.states = host(io.states)
        h.gates = host(io.gates)
        return h
    }

    func recurrenceForward(_ cell: RecurrentCell, _ io: RecurrenceTensors) -> (states: Tensor, saved: Tensor) {
        let (states, saved) = cpu.recurrenceForward(cell, host(io))
        return (adopt(states), adopt(saved))
    }

    func recurrenceBackward(_ cell: RecurrentCell, _ io: RecurrenceTensors, dy: Tensor, grads: RecurrenceGradients) {
        let targets = RecurrenceGradients(
            projections: host(grads.projections), hiddenWeight: host(grads.hiddenWeight), hiddenBias: host(grads.hiddenBias),
            h0: host(grads.h0), c0: host(grads.c0))
        cpu.recurrenceBackward(cell, host(io), dy: host(dy), grads: targets)
        writeBack(targets.projections, to: grads.projections)
        writeBack(targets.hiddenWeight, to: grads.hiddenWeight)
        writeBack(targets.h0, to: grads.h0)
        if let b = targets.hiddenBias, let g = grads.hiddenBias { writeBack(b, to: g) }
        if let c = targets.c0, let g = grads.c0 { writeBack(c, to: g) }
    }
}
