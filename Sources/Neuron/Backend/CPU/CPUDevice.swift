import CNeuronKernels

// The device half of the CPU backend: host memory from the kernel library's size-class cache,
// transfers as memory copies, random numbers from the sequential generator.
extension CPUBackend {
    var device: Device { .cpu }

    func allocate(byteCount: Int) -> (address: UInt, capacity: Int) {
        var capacity = 0
        guard let pointer = nk_alloc(byteCount, &capacity) else {
            fatalError("Neuron: out of memory allocating \(byteCount) bytes")
        }
        return (UInt(bitPattern: pointer), capacity)
    }

    func release(address: UInt, capacity: Int) {
        nk_free(UnsafeMutableRawPointer(bitPattern: address), capacity)
    }

    func upload(_ source: UnsafeRawPointer, byteCount: Int, into destination: Tensor) {
        cannotReplay()
        if byteCount > 0 { destination.pointer.copyMemory(from: source, byteCount: byteCount) }
    }

    func download(_ source: Tensor, into destination: UnsafeMutableRawPointer, byteCount: Int) {
        cannotReplay()
        if byteCount > 0 { destination.copyMemory(from: source.pointer, byteCount: byteCount) }
    }

    func synchronize() {}

    /// One draw per element in order, so a seed gives the numbers it always gave.
    func fillRandom(_ x: Tensor, _ distribution: RandomDistribution, generator: RandomGenerator) {
        if let recording = CPURecording.current { recording.drewRandomNumbers = true }
        let n = x.count
        if case .normal(let mean, let std) = distribution, x.dtype == .float32 || x.dtype == .float64 {
            // The uniforms in the order nextNormal draws them, the transform over threads.
            var uniforms = [Double](repeating: 0, count: 2 * n)
            generator.exclusive {
                for i in 0..<n {
                    uniforms[2 * i] = 1 - generator.nextUnit()
                    uniforms[2 * i + 1] = generator.nextUnit()
                }
            }
            let out = x.dtype == .float64 ? UnsafeMutableRawPointer(x.pointer(as: Double.self)) : UnsafeMutableRawPointer(x.pointer(as: Float.self))
            nk_normal_from_uniforms(uniforms, out, x.dtype == .float64 ? 1 : 0, Int64(n), mean, std)
            return
        }
        let sample: () -> Double
        switch distribution {
        case .uniform(let low, let high): sample = { low + (high - low) * generator.nextUnit() }
        case .normal(let mean, let std): sample = { mean + std * generator.nextNormal() }
        case .bernoulli(let p): sample = { generator.nextUnit() < p ? 1 : 0 }
        }
        generator.exclusive {
            if x.dtype == .float32 {
                let p = x.pointer(as: Float.self)
                for i in 0..<n { p[i] = Float(sample()) }
            } else {
                let p = x.pointer(as: Double.self)
                for i in 0..<n { p[i] = sample() }
            }
        }
    }

    func oneHot(_ classes: Tensor, width: Int) -> Tensor {
        let out = Tensor(uninitialized: [classes.count, width], dtype: .int64)
        fill(out, with: 0)
        launch {
            let source = classes.pointer(as: Int64.self), pointer = out.pointer(as: Int64.self)
            for i in 0..<classes.count {
                let c = Int(source[i])
                precondition(c >= 0 && c < width, "oneHot: class \(c) is out of range for \(width) classes")
                pointer[i * width + c] = 1
            }
        }
        return out
    }
}
