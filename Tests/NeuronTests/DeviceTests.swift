import Foundation
import Testing

@testable import Neuron

/// The device seam: factories, moves between devices, and ops that mix devices. With
/// `NEURON_DEFAULT_DEVICE=simulated` the whole suite runs on a device whose memory the host
/// cannot read (`make test` does both runs).
struct DeviceTests {
    @Test func devicesParseAndPrint() {
        #expect(Device("cpu") == .cpu)
        #expect(Device("cuda") == .cuda(0))
        #expect(Device("CUDA:2") == .cuda(2))
        #expect(Device("tpu") == nil)
        #expect(Device("cuda:-1") == nil)
        #expect(Device.cuda(1).description == "cuda:1")
    }

    @Test func factoriesUseTheDefaultDevice() {
        let name = ProcessInfo.processInfo.environment["NEURON_DEFAULT_DEVICE"] ?? "cpu"
        let expected = name == "simulated" ? Device.simulated : Device(name) ?? .cpu
        #expect(Device.default == expected)
        for t in [Tensor.zeros([2]), Tensor([1.0, 2]), Tensor.uniform([3]), Tensor.arange(0, 4), Tensor.eye(2)] {
            #expect(t.device == expected)
        }
    }

    @Test func movingKeepsValuesAndPassesGradients() {
        let x = Tensor([1.5, -2, 3, 4], shape: [2, 2], dtype: .float64, device: .cpu).requiringGrad()
        let remote = x.to(.simulated)
        #expect(remote.device == .simulated)
        let y = (remote * remote).sum().to(.cpu)
        #expect(y.item() == 1.5 * 1.5 + 4 + 9 + 16)
        y.backward()
        #expect(x.grad?.device == .cpu)
        #expect(x.grad?.toArray(Double.self) == [3, -4, 6, 8])
        // A strided view moves as its elements.
        let t = Tensor.arange(0, 6, dtype: .int64, device: .cpu).reshaped([2, 3]).transposed()
        #expect(t.to(.simulated).toArray(Int.self) == [0, 3, 1, 4, 2, 5])
    }

    @Test func movingStorageInPlaceKeepsTheTensor() {
        let p = Tensor([1, 2, 3], shape: [3], dtype: .float32, device: .cpu)
        let view = p.reshaped([3, 1])
        p.moveStorage(to: .simulated)
        #expect(p.device == .simulated && p.toArray(Float.self) == [1, 2, 3])
        #expect(view.device == .cpu)
        p.moveStorage(to: .cpu)
        #expect(p.device == .cpu && p.toArray(Float.self) == [1, 2, 3])
    }

    @Test func randomNumbersOnTheSimulatedDeviceMatchTheCPU() {
        let a = Tensor.normal([5], device: .cpu, generator: RandomGenerator(seed: 7)).toArray(Float.self)
        let b = Tensor.normal([5], device: .simulated, generator: RandomGenerator(seed: 7)).to(.cpu).toArray(Float.self)
        #expect(a == b)
    }

    @Test func simulatedMemoryIsNotAHostPointer() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([4], device: .simulated).pointer
        }
        #expect(String(decoding: result.standardErrorContent, as: UTF8.self).contains("simulated tensor's memory was read as a host pointer"))
    }

    @Test func opsOnTwoDevicesStopNamingBoth() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.ones([2, 3], device: .cpu) + Tensor.ones([2, 3], device: .simulated)
        }
        let message = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(message.contains("add: tensors on different devices (cpu [2, 3] and simulated [2, 3])"))
        let matmul = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.ones([2, 3], device: .simulated).matmul(Tensor.ones([3, 2], device: .cpu))
        }
        #expect(String(decoding: matmul.standardErrorContent, as: UTF8.self).contains("matmul: tensors on different devices"))
    }
}
