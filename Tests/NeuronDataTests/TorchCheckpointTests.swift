import Neuron
import NeuronData
import Testing

/// PyTorch checkpoints written by `torch.save` (make_torch_fixtures.py), in both formats.
@Suite struct TorchCheckpointTests {
    @Test(arguments: ["torch_zip.pt", "torch_legacy.pt"])
    func bothFormatsLoadExactly(_ name: String) throws {
        let tensors = try TorchCheckpoint.read(DataFixtures.path(name))
        let expected = try SafeTensors.read(DataFixtures.path("torch_expected.safetensors")).tensors
        #expect(Set(tensors.keys) == Set(expected.keys))
        for (key, value) in expected {
            let tensor = try #require(tensors[key], "\(key) missing")
            #expect(tensor.shape == value.shape, "\(key)")
            #expect(tensor.dtype == value.dtype, "\(key)")
            #expect(tensor.toArray(Double.self) == value.toArray(Double.self), "\(key) differs")
        }
        // The views of one storage: the transpose and the offset slice.
        let weight = tensors["model.weight"]!
        #expect(tensors["model.transposed"]!.toArray(Double.self) == weight.T.contiguous().toArray(Double.self))
        #expect(tensors["model.slice"]!.toArray(Double.self) == weight[1..<3, 2..<5].contiguous().toArray(Double.self))
        #expect(tensors["model.flags"]!.dtype == .bool)
        #expect(tensors["model.scalar"]!.shape == [])
    }

    @Test func aPickleThatWouldRunCodeIsRefused() {
        for name in ["torch_evil_legacy.pt", "torch_evil_zip.pt"] {
            #expect {
                _ = try TorchCheckpoint.read(DataFixtures.path(name))
            } throws: { error in
                "\(error)".contains("refused global 'posix.system'") && !"\(error)".contains("\n")
            }
        }
    }

    @Test func truncatedFilesAreRefusedInOneLine() {
        for name in ["torch_truncated_zip.pt", "torch_truncated_legacy.pt"] {
            #expect {
                _ = try TorchCheckpoint.read(DataFixtures.path(name))
            } throws: { error in
                let text = "\(error)"
                return text.contains(name) && !text.contains("\n") && (text.contains("zip") || text.contains("truncated"))
            }
        }
        #expect(throws: DataError.self) { try TorchCheckpoint.decode(Array("hello".utf8)) }
    }
}
