import Foundation
import NeuronData
import Testing

@testable import Neuron

/// bfloat16 storage, conversions and arithmetic against PyTorch, and autocast: full precision
/// on the CPU, bfloat16 GEMM operands with float32 accumulation on a CUDA device.
struct BFloat16Tests {
    static let fixtures = Fixtures.load("bfloat16.safetensors")

    func bits(_ t: Tensor) -> [UInt32] { t.toArray(Float.self).map(\.bitPattern) }

    @Test func castsRoundToNearestEvenAsPyTorch() {
        let x = Self.fixtures["cast.x"]!, expected = Self.fixtures["cast.out"]!
        #expect(expected.dtype == .bfloat16 && expected.dtype.size == 2 && expected.dtype.isFloatingPoint)
        let converted = x.to(.bfloat16)
        #expect(converted.dtype == .bfloat16)
        #expect(bits(converted) == bits(expected))
        // Back to float32 is exact, and every other type goes through float32.
        #expect(converted.to(.float64).toArray(Double.self) == expected.toArray(Float.self).map(Double.init))
        #expect(Tensor([2.7, -1.5], device: .cpu).to(.bfloat16).to(.int64).toArray(Int.self) == [2, -1])
        #expect(Tensor([true, false], device: .cpu).to(.bfloat16).toArray(Float.self) == [1, 0])
        let nan = Tensor([Float.nan], device: .cpu).to(.bfloat16).toArray(Float.self)[0]
        #expect(nan.isNaN)
    }

    @Test func arithmeticRunsInFloat32AndRoundsBack() {
        let (x, y) = (Self.fixtures["add.x"]!, Self.fixtures["add.y"]!)
        let sum = x + y
        #expect(sum.dtype == .bfloat16 && bits(sum) == bits(Self.fixtures["add.out"]!))
        // Promotion follows PyTorch: bfloat16 with float32 is float32.
        #expect((x + Tensor.ones([2, 3])).dtype == .float32)
        let product = Self.fixtures["matmul.x"]!.matmul(Self.fixtures["matmul.y"]!)
        #expect(product.dtype == .bfloat16)
        // PyTorch's CPU GEMM may round its float32 sum once more: within one bfloat16 step.
        expectClose(product.to(.float32), Self.fixtures["matmul.out"]!.to(.float32), rtol: 1.0 / 128, atol: 1e-2)
        #expect(x.sum().dtype == .bfloat16 && x.max().dtype == .bfloat16)
        #expect(Tensor.zeros([3], dtype: .bfloat16).toArray(Float.self) == [0, 0, 0])
    }

    @Test func layersAcceptBFloat16Inputs() {
        let x = Tensor.normal([2, 3, 6, 6], generator: RandomGenerator(seed: 3))
        let w = Tensor.normal([4, 3, 3, 3], generator: RandomGenerator(seed: 4))
        let y = x.to(.bfloat16).conv2d(w.to(.bfloat16))
        #expect(y.dtype == .bfloat16 && y.shape == [2, 4, 4, 4])
        let reference = x.to(.bfloat16).to(.float32).conv2d(w.to(.bfloat16).to(.float32)).to(.bfloat16)
        #expect(bits(y) == bits(reference))
        #expect(y.maxPool2d(kernel: (2, 2)).values.dtype == .bfloat16)
        #expect(y.avgPool2d(kernel: (2, 2)).dtype == .bfloat16)
    }

    @Test func safetensorsKeepBFloat16() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("neuron-bf16-\(getpid())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let t = Self.fixtures["cast.out"]!
        try SafeTensors.write(["w": t], to: folder + "/w.safetensors")
        let back = try SafeTensors.read(folder + "/w.safetensors").tensors["w"]!
        #expect(back.dtype == .bfloat16 && bits(back) == bits(t))
    }

    @Test func autocastReadsBFloat16OperandsOnCUDAOnly() {
        let x = Self.fixtures["autocast.x"]!.requiringGrad(), w = Self.fixtures["autocast.w"]!.requiringGrad()
        let full = x.matmul(w)
        let mixed = autocast { x.matmul(w) }
        #expect(mixed.dtype == .float32 && Autocast.dtype == nil)
        if x.device.kind == .cuda {
            expectClose(mixed, Self.fixtures["autocast.out"]!, rtol: 1e-5, atol: 1e-5)
            #expect(mixed.toArray(Float.self) != full.toArray(Float.self))
            // The backward GEMMs run under the forward's precision: dx = g·wᵀ with w rounded.
            mixed.sum().backward()
            let expected = Tensor.ones([4, 3]).matmul(w.detach().to(.bfloat16).to(.float32).transposed())
            expectClose(x.grad!, expected, rtol: 1e-5, atol: 1e-5)
        } else {
            #expect(mixed.toArray(Float.self) == full.toArray(Float.self))
        }
    }

    @Test func autocastConvolutionsAndTheirGradients() {
        let x = Tensor.normal([2, 4, 7, 7], generator: RandomGenerator(seed: 5)).requiringGrad()
        let w = Tensor.normal([6, 2, 3, 3], generator: RandomGenerator(seed: 6)).requiringGrad()
        let rounded = { (t: Tensor) in t.detach().to(.bfloat16).to(.float32) }
        let y = autocast { x.conv2d(w, stride: (2, 1), padding: .explicit(1, 1), groups: 2) }
        let onCUDA = x.device.kind == .cuda
        let reference = (onCUDA ? rounded(x) : x.detach()).conv2d(
            onCUDA ? rounded(w) : w.detach(), stride: (2, 1), padding: .explicit(1, 1), groups: 2)
        expectClose(y, reference, rtol: 1e-5, atol: 1e-5)
        let g = Tensor.normal(y.shape, generator: RandomGenerator(seed: 7))
        (y * g).sum().backward()
        // dx reads w and g rounded; dw reads x and g rounded.
        let gr = onCUDA ? rounded(g) : g
        let dx = gr.convTranspose2d(onCUDA ? rounded(w) : w.detach(), stride: (2, 1), padding: (1, 1), groups: 2)
        expectClose(x.grad!.narrowed(axis: 2, start: 0, length: dx.shape[2]), dx.narrowed(axis: 2, start: 0, length: dx.shape[2]))
        #expect(w.grad!.dtype == .float32 && w.grad!.shape == w.shape)
    }
}
