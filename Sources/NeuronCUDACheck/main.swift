import Foundation
import Neuron
import NeuronData
import NeuronModels
import NeuronNN

// `neuron-cuda-check`: the CUDA backend against the CPU backend on the machine with the GPU.
// Every op and gradient on seeded inputs, random numbers, optimiser steps, checkpoints, one
// epoch of the MLP on Fashion-MNIST, and float32 matmul throughput. It writes the CUDA results
// for `scripts/gpu_check_torch.py` (the same ops in PyTorch on the same GPU) and one JSON file
// of figures. Exit status 1 when anything is off.
setvbuf(stdout, nil, _IOLBF, 0)
var arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String) -> String? {
    guard let i = arguments.firstIndex(of: "--\(name)"), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}
let out = option("out") ?? "gpu-check"
let dataDirectory = option("data")
try? FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)

print(Device.cudaStatus)
guard Device.cudaAvailable else { exit(1) }
let gpu = Device.cuda(0)
var failures: [String] = []
var figures: [String: Double] = [:]
func check(_ ok: Bool, _ what: String) {
    print("\(ok ? "ok  " : "FAIL") \(what)")
    if !ok { failures.append(what) }
}
func seconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

// Ops and gradients, float32 to 1e-5 relative (float64 to 1e-10; bfloat16 results to 1e-2).
var dump: [String: Tensor] = [:]
for op in OpChecks.all {
    let outcome = OpChecks.run(op, on: gpu)
    let tolerance = op.inputs.first?.dtype == .float64 ? 1e-10 : op.tolerance
    let gradient = outcome.gradientError.map { String(format: ", gradients %.2e", $0) } ?? ""
    check(
        outcome.outputError <= tolerance && (outcome.gradientError ?? 0) <= tolerance,
        String(format: "op %@: output %.2e%@", op.name, outcome.outputError, gradient))
    for (i, input) in op.inputs.enumerated() { dump["\(op.name)/input\(i)"] = input }
    dump["\(op.name)/output"] = outcome.cudaOutput.to(.cpu)
}
try SafeTensors.write(dump, to: "\(out)/cuda_ops.safetensors")

// Random numbers: reproducible from a seed, with the right moments.
let first = Tensor.normal([1 << 20], device: gpu, generator: RandomGenerator(seed: 5)).to(.cpu)
let again = Tensor.normal([1 << 20], device: gpu, generator: RandomGenerator(seed: 5)).to(.cpu)
check(first.toArray(Float.self) == again.toArray(Float.self), "normal: the same seed gives the same numbers")
let (mean, std) = (first.mean().item(), first.variance(axes: [0]).sqrt().item())
check(abs(mean) < 0.005 && abs(std - 1) < 0.005, String(format: "normal: mean %.4f, std %.4f", mean, std))
let uniform = Tensor.uniform([1 << 20], low: -1, high: 3, device: gpu, generator: RandomGenerator(seed: 6))
let (low, high) = (uniform.min().item(), uniform.max().item())
check(low >= -1 && high < 3 && abs(uniform.mean().item() - 1) < 0.01, String(format: "uniform [-1, 3): %.4f…%.4f", low, high))
let coin = Tensor.bernoulli([1 << 20], p: 0.3, device: gpu, generator: RandomGenerator(seed: 7)).mean().item()
check(abs(coin - 0.3) < 0.005, String(format: "bernoulli p = 0.3: %.4f", coin))

// Optimiser steps against the CPU's.
let optimisers: [(String, ([Tensor]) -> Optimizer)] = [
    ("adam", { Adam($0, lr: 1e-2) }), ("adamw", { AdamW($0, lr: 1e-2, weightDecay: 0.1) }),
    ("amsgrad", { Adam($0, lr: 1e-2, amsgrad: true) }), ("sgd_nesterov", { SGD($0, lr: 0.1, momentum: 0.9, weightDecay: 1e-3, nesterov: true) }),
]
for (name, make) in optimisers {
    func steps(_ device: Device) -> Tensor {
        let p = OpChecks.seeded([1000], 11).to(device).requiringGrad()
        let optimizer = make([p])
        for k in 0..<3 {
            p.grad = (OpChecks.seeded([1000], 12 + UInt64(k))).to(device)
            optimizer.step()
        }
        return p.detach()
    }
    let error = OpChecks.relativeError(steps(gpu), steps(.cpu))
    check(error <= 1e-5, String(format: "%@: three steps, %.2e", name, error))
}

// Checkpoints written from GPU tensors are the same files as from the CPU.
Random.seed(0)
let mlp = try ModelRegistry.network("mlp")
let cpuFile = SafeTensors.encode(mlp.stateDict())
mlp.to(gpu)
check(SafeTensors.encode(mlp.stateDict()) == cpuFile, "checkpoint from GPU tensors: same bytes as from the CPU")

// `--ops-only` stops here (the emulated GPU of the tests runs this far).
if arguments.contains("--ops-only") {
    print(failures.isEmpty ? "all CUDA op checks passed" : "\(failures.count) CUDA check(s) failed")
    exit(failures.isEmpty ? 0 : 1)
}

// One epoch of each model of the GPU table: graph replay, op by op, bfloat16, and the CPU.
let only = option("models").map { $0.split(separator: ",").map(String.init).filter { $0 != "minilm" } } ?? ModelChecks.models
for name in only {
    do {
        try ModelChecks.run(name, data: dataDirectory, gpu: gpu, figures: &figures, check: check)
    } catch {
        check(false, "\(name): \(error)")
    }
}

// Sentence embeddings with MiniLM-L6's encoder.
if option("models") == nil || option("models")!.contains("minilm") {
    do {
        try EmbeddingCheck.run(out: out, gpu: gpu, sentences: Int(option("sentences") ?? "") ?? 1000, figures: &figures, check: check)
    } catch {
        check(false, "minilm: \(error)")
    }
}

// Float32 GEMM throughput (no TF32); `--no-matmul` skips it.
for n in arguments.contains("--no-matmul") ? [] : [1024, 2048, 4096, 8192] {
    let a = Tensor.normal([n, n], device: gpu), b = Tensor.normal([n, n], device: gpu)
    _ = a.matmul(b)
    gpu.synchronize()
    let repeats = n >= 4096 ? 5 : 20
    let time = seconds {
        for _ in 0..<repeats { _ = a.matmul(b) }
        gpu.synchronize()
    }
    let tflops = 2 * Double(n * n * n) * Double(repeats) / time / 1e12
    figures["matmul_\(n)_tflops"] = tflops
    print(String(format: "matmul %d: %.1f TFLOP/s float32", n, tflops))
}

let json = try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys, .prettyPrinted])
_ = FileManager.default.createFile(atPath: "\(out)/neuron_cuda.json", contents: json)
print(failures.isEmpty ? "all CUDA checks passed" : "\(failures.count) CUDA check(s) failed")
exit(failures.isEmpty ? 0 : 1)
