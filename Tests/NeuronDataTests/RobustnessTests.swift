import Glibc
import Neuron
import Testing

@testable import NeuronData

@Suite struct RobustnessTests {
    /// Thousands of mutated files (flipped bytes, truncations, insertions, lying lengths):
    /// every reader must return a tensor or throw, never crash or hang.
    @Test func mutatedFilesOnlyThrow() {
        let generator = RandomGenerator(seed: 2024)
        let seeds: [(String, ([UInt8]) throws -> Void)] = [
            ("python.safetensors", { _ = try SafeTensors.decode($0) }),
            ("python_numpy.safetensors", { _ = try SafeTensors.decode($0) }),
            ("f32.npy", { _ = try NPY.decode($0) }),
            ("fortran.npy", { _ = try NPY.decode($0) }),
            ("arrays.npz", { _ = try NPZ.decode($0) }),
            ("arrays_compressed.npz", { _ = try NPZ.decode($0) }),
            ("plain.idx1-ubyte", { _ = try IDX.decode($0) }),
            ("images.idx3-ubyte.gz", { _ = try IDX.decode(try Compression.inflate($0, windowBits: 31)) }),
        ]
        var thrown = 0, accepted = 0
        for (name, read) in seeds {
            let original = DataFixtures.bytes(name)
            for _ in 0..<500 {
                var bytes = original
                switch generator.next(below: 5) {
                case 0:
                    for _ in 0...generator.next(below: 4) { bytes[generator.next(below: bytes.count)] ^= UInt8(1 + generator.next(below: 255)) }
                case 1:
                    bytes = Array(bytes.prefix(generator.next(below: bytes.count)))
                case 2:
                    bytes.insert(
                        contentsOf: (0..<(1 + generator.next(below: 16))).map { _ in UInt8(generator.next(below: 256)) },
                        at: generator.next(below: bytes.count))
                case 3:
                    // Large values in the header region, where lengths and sizes live.
                    let at = generator.next(below: min(bytes.count, 40))
                    bytes[at] = 0xFF
                    if at + 1 < bytes.count { bytes[at + 1] = 0x7F }
                default:
                    bytes[generator.next(below: bytes.count)] = UInt8(ascii: "9")
                }
                do {
                    try read(bytes)
                    accepted += 1
                } catch is DataError {
                    thrown += 1
                } catch {
                    Issue.record("\(name): unexpected error type \(error)")
                }
            }
        }
        #expect(thrown + accepted == 4000 && thrown > 2000)
    }

    /// A save that fails midway (the file-size limit is hit) leaves the previous file as it was.
    @Test func failedSaveKeepsThePreviousCheckpoint() async {
        await #expect(processExitsWith: .success) {
            let folder = "/tmp/neuron-atomic-\(getpid())"
            mkdir(folder, 0o755)
            let path = folder + "/model.safetensors"
            let original: [String: Tensor] = ["w": Tensor([1, 2, 3] as [Float])]
            try! SafeTensors.write(original, to: path)
            signal(SIGXFSZ, SIG_IGN)
            var limit = rlimit(rlim_cur: 4096, rlim_max: rlim_t.max)
            setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit)
            var failed = false
            do {
                try SafeTensors.write(["w": Tensor.normal([100_000])], to: path)
            } catch {
                failed = "\(error)".contains("write failed")
            }
            precondition(failed, "the oversized save did not fail")
            let back = try! SafeTensors.read(path).tensors
            precondition(back["w"]!.toArray(Float.self) == [1, 2, 3], "the previous checkpoint changed")
            let leftovers = (try? readFileBytes(path + ".tmp-\(getpid())")) != nil
            precondition(!leftovers, "a temporary file was left behind")
        }
    }

    @Test func missingFashionMNISTNamesThePackage() {
        expectDataError("dataset-fashion-mnist") { _ = try FashionMNIST.load(.train, directory: nil, searchingDefault: "/nonexistent") }
        expectDataError("not found in /nonexistent") { _ = try FashionMNIST.load(.test, directory: "/nonexistent") }
    }
}
