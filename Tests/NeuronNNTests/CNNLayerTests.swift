import Neuron
import NeuronData
import Testing

@testable import NeuronNN

/// Convolution, pooling, upsampling and normalisation layers against PyTorch (forward,
/// input and parameter gradients, running statistics); see Fixtures/cnn_cases.md.
@Suite struct CNNLayerTests {
    static let all = NNFixtures.load("cnn.safetensors")

    static func f(_ name: String) -> Tensor { all.fixture(name) }

    static let f64 = DType.float64

    static let cases: [(String, () -> any Layer)] = [
        ("conv2d_basic", { Conv2d(3, 4, kernelSize: 3, dtype: f64) }),
        ("conv2d_stride_pad", { Conv2d(3, 4, kernelSize: (3, 2), stride: (2, 1), padding: .explicit(1, 2), dtype: f64) }),
        ("conv2d_dilation", { Conv2d(2, 3, kernelSize: 3, padding: 1, dilation: 2, dtype: f64) }),
        ("conv2d_groups", { Conv2d(4, 6, kernelSize: 3, padding: 1, groups: 2, bias: false, dtype: f64) }),
        ("conv2d_depthwise", { Conv2d(3, 3, kernelSize: (3, 3), padding: .same, groups: 3, dtype: f64) }),
        ("conv2d_same_even", { Conv2d(2, 2, kernelSize: (4, 4), padding: .same, dtype: f64) }),
        ("conv1d", { Conv1d(3, 4, kernelSize: 3, stride: 2, padding: .explicit(1, 1), dtype: f64) }),
        ("conv1d_dilation_groups", { Conv1d(4, 2, kernelSize: 2, dilation: 3, groups: 2, dtype: f64) }),
        ("convt2d_basic", { ConvTranspose2d(3, 2, kernelSize: 3, dtype: f64) }),
        ("convt2d_stride", { ConvTranspose2d(2, 3, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, dtype: f64) }),
        ("convt2d_groups", { ConvTranspose2d(4, 2, kernelSize: (2, 3), stride: (2, 1), groups: 2, bias: false, dtype: f64) }),
        ("maxpool2d", { MaxPool2d(2) }),
        ("maxpool2d_stride_pad", { MaxPool2d(3, stride: 2, padding: 1) }),
        ("maxpool1d", { MaxPool1d(3, stride: 2) }),
        ("avgpool2d", { AvgPool2d(2) }),
        ("avgpool2d_pad", { AvgPool2d(3, stride: 2, padding: 1) }),
        ("avgpool2d_pad_exclude", { AvgPool2d(3, stride: 2, padding: 1, countIncludePad: false) }),
        ("adaptive_avgpool", { AdaptiveAvgPool2d(1) }),
        ("adaptive_avgpool_3", { AdaptiveAvgPool2d((3, 2)) }),
        ("upsample_nearest", { Upsample(scaleFactor: 2) }),
        ("upsample_bilinear", { Upsample(scaleFactor: 2, mode: .bilinear(alignCorners: false)) }),
        ("upsample_bilinear_ac", { Upsample(size: (5, 7), mode: .bilinear(alignCorners: true)) }),
        ("batchnorm2d_train", { BatchNorm2d(3, dtype: f64) }),
        ("batchnorm1d_train", { BatchNorm1d(4, momentum: 0.2, dtype: f64) }),
        ("batchnorm1d_3d", { BatchNorm1d(3, dtype: f64) }),
        ("layernorm", { LayerNorm([3, 4], dtype: f64) }),
        ("layernorm_noaffine", { LayerNorm([4], elementwiseAffine: false, dtype: f64) }),
        ("groupnorm", { GroupNorm(groups: 2, channels: 4, dtype: f64) }),
    ]

    @Test(arguments: cases.indices)
    func matchesPyTorch(_ i: Int) throws {
        let (name, make) = Self.cases[i]
        let layer = make()
        var state: StateDict = [:]
        for key in layer.stateDictNames() {
            if let value = Self.all["\(name).\(key)"] { state[key] = value }
        }
        if layer is BatchNorm { state["num_batches_tracked"] = Tensor(0.0, dtype: .int64) }
        try layer.load(stateDict: state, strict: true)
        let x = Self.f("\(name).x").copy().requiringGrad()
        let out = layer(x)
        expectClose(out, Self.f("\(name).out"), rtol: 1e-9, atol: 1e-10, name)
        (out * Self.f("\(name).g")).sum().backward()
        expectClose(x.grad!, Self.f("\(name).grad_x"), rtol: 1e-9, atol: 1e-10, "\(name) grad_x")
        for (key, tensor) in layer.namedParameters() {
            expectClose(tensor.grad!, Self.f("\(name).grad_\(key)"), rtol: 1e-9, atol: 1e-10, "\(name) grad_\(key)")
        }
        if let norm = layer as? BatchNorm {
            expectClose(norm.runningMean, Self.f("\(name).running_mean_after"), rtol: 1e-9, "\(name) running mean")
            expectClose(norm.runningVar, Self.f("\(name).running_var_after"), rtol: 1e-9, "\(name) running var")
            #expect(norm.numBatchesTracked.item() == 1)
            if name == "batchnorm2d_train" {
                norm.eval()
                expectClose(norm(Self.f("batchnorm2d_eval.x")), Self.f("batchnorm2d_eval.out"), rtol: 1e-9, "batchnorm2d_eval")
            }
        }
        if let pool = layer as? MaxPool2d {
            #expect(pool.withIndices(Self.f("\(name).x")).indices.toArray(Int.self) == Self.f("\(name).indices").toArray(Int.self))
        }
        if let pool = layer as? MaxPool1d {
            #expect(pool.withIndices(Self.f("\(name).x")).indices.toArray(Int.self) == Self.f("\(name).indices").toArray(Int.self))
        }
    }

    /// Batch norm with statistics summed over replicas (synchronised batch norm) is, over one
    /// replica, the usual layer: PyTorch's values and gradients, and a gradient check.
    @Test(arguments: ["batchnorm2d_train", "batchnorm1d_train", "batchnorm1d_3d"])
    func replicaSummedBatchNormMatchesPyTorch(_ name: String) throws {
        let layer = Self.cases.first { $0.0 == name }!.1() as! BatchNorm
        var state: StateDict = [:]
        for key in layer.stateDictNames() { state[key] = Self.all["\(name).\(key)"] }
        state["num_batches_tracked"] = Tensor(0.0, dtype: .int64)
        try layer.load(stateDict: state, strict: true)
        var sums = 0
        layer.replicaSum = { tensor in
            sums += 1
            return tensor
        }
        let x = Self.f("\(name).x").copy().requiringGrad()
        let out = layer(x)
        #expect(sums == 2)
        expectClose(out, Self.f("\(name).out"), rtol: 1e-9, atol: 1e-10, name)
        (out * Self.f("\(name).g")).sum().backward()
        expectClose(x.grad!, Self.f("\(name).grad_x"), rtol: 1e-9, atol: 1e-10, "\(name) grad_x")
        for (key, tensor) in layer.namedParameters() {
            expectClose(tensor.grad!, Self.f("\(name).grad_\(key)"), rtol: 1e-9, atol: 1e-10, "\(name) grad_\(key)")
        }
        expectClose(layer.runningMean, Self.f("\(name).running_mean_after"), rtol: 1e-9, "\(name) running mean")
        expectClose(layer.runningVar, Self.f("\(name).running_var_after"), rtol: 1e-9, "\(name) running var")
        let checked = BatchNorm2d(3, dtype: .float64)
        checked.replicaSum = { $0 }
        expectGradients([randomInput([4, 3, 2, 2])], "replica-summed BatchNorm2d") { checked($0[0]) }
    }

    /// In float32 over many values per channel, the replica-summed statistics and gradients stay
    /// as close to the fused kernel's as float32 allows.
    @Test func replicaSummedBatchNormIsAccurateInFloat32() {
        let x = Tensor.normal([32, 16, 32, 32], generator: RandomGenerator(seed: 3)) * 3 + 1
        let g = Tensor.normal([32, 16, 32, 32], generator: RandomGenerator(seed: 4))
        func run(_ summed: Bool) -> [Tensor] {
            let layer = BatchNorm2d(16)
            if summed { layer.replicaSum = { $0 } }
            let input = x.copy().requiringGrad()
            (layer(input) * g).sum().backward()
            return [layer(input).detach(), input.grad!, layer.weight!.grad!, layer.bias!.grad!, layer.runningVar]
        }
        let (fused, summed) = (run(false), run(true))
        for (name, (a, b)) in zip(["output", "grad_x", "grad_weight", "grad_bias", "running_var"], zip(summed, fused)) {
            let error = ((a - b).square().sum().item() / max(b.square().sum().item(), 1e-30)).squareRoot()
            #expect(error < 1e-5, "\(name): relative difference \(error)")
        }
    }

    @Test func normalisationLayersPassGradientChecks() {
        expectGradients([randomInput([4, 3, 2, 2])], "BatchNorm2d layer") { BatchNorm2d(3, dtype: .float64)($0[0]) }
        expectGradients([randomInput([2, 3, 4])], "LayerNorm") { LayerNorm([4], dtype: .float64)($0[0]) }
        expectGradients([randomInput([2, 4, 3])], "GroupNorm") { GroupNorm(groups: 2, channels: 4, dtype: .float64)($0[0]) }
        let dropout = Dropout2d(0.5, generator: RandomGenerator(seed: 1))
        let y = dropout(Tensor.ones([8, 16, 2, 2]))
        let perChannel = y.reshaped([8, 16, 4]).toArray(Float.self)
        for channel in 0..<(8 * 16) {
            let values = Set(perChannel[(channel * 4)..<(channel * 4 + 4)])
            #expect(values == [0] || values == [2])
        }
    }
}
