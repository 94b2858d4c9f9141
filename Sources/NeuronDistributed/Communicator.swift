import Glibc
import Neuron
import NeuronTrain

/// The processes of a job started by `mpirun` (Open MPI), or a world of one.
///
/// `Communicator.world` is the job's communicator. A program started without `mpirun` is a
/// world of one whatever is installed: rank 0, size 1, and every collective returns its input
/// without loading any library. Under `mpirun`, Open MPI's `libmpi` is loaded at run time (it is
/// not linked), so Neuron builds and runs on machines without it. Every call must come from the
/// main thread (`MPI_THREAD_FUNNELED`), in the same order on every process.
public final class Communicator: ProcessGroup, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    /// Processes of the job on this machine (for threads per process).
    public let localSize: Int
    let mpi: OpenMPI?

    /// The job's processes; set up on first use.
    public static var world: Communicator {
        get throws(DistributedError) { try worldResult.get() }
    }
    private static let worldResult = Result { () throws(DistributedError) in try Communicator.initialize() }

    /// Whether this process was started by a launcher of a multi-process job.
    public static var isLaunchedByMPI: Bool { environment("OMPI_COMM_WORLD_SIZE") != nil }

    private init(rank: Int, size: Int, localSize: Int, mpi: OpenMPI?) {
        (self.rank, self.size, self.localSize, self.mpi) = (rank, size, localSize, mpi)
    }

    private static func initialize() throws(DistributedError) -> Communicator {
        guard isLaunchedByMPI else {
            if environment("PMI_SIZE").map({ $0 != "1" }) ?? false {
                throw DistributedError("started by an MPI launcher other than Open MPI's mpirun; Neuron runs data-parallel under Open MPI")
            }
            return Communicator(rank: 0, size: 1, localSize: 1, mpi: nil)
        }
        let mpi = try OpenMPI.load()
        var provided: Int32 = 0
        mpi.check(mpi.initThread(nil, nil, OpenMPI.threadFunneled, &provided), "MPI_Init_thread")
        var rank: Int32 = 0, size: Int32 = 0
        mpi.check(mpi.commRank(mpi.world, &rank), "MPI_Comm_rank")
        mpi.check(mpi.commSize(mpi.world, &size), "MPI_Comm_size")
        let localSize = environment("OMPI_COMM_WORLD_LOCAL_SIZE").flatMap { Int($0) } ?? Int(size)
        return Communicator(rank: Int(rank), size: Int(size), localSize: localSize, mpi: mpi)
    }

    /// Ends the MPI session (after the last collective); nothing in a world of one.
    public func finalize() {
        if let mpi { _ = mpi.finalize() }
    }

    /// Waits until every process gets here.
    public func barrier() {
        if let mpi { mpi.check(mpi.barrier(mpi.world), "MPI_Barrier") }
    }

    // MARK: Collectives on host values

    public func sum(_ values: [Double]) -> [Double] { reduce(values, op: \.sum) }

    public func maximum(_ values: [Double]) -> [Double] { reduce(values, op: \.max) }

    private func reduce(_ values: [Double], op: KeyPath<OpenMPI, OpenMPI.Handle>) -> [Double] {
        guard let mpi, size > 1, !values.isEmpty else { return values }
        var result = values
        result.withUnsafeMutableBytes { buffer in
            mpi.check(
                mpi.allreduce(OpenMPI.inPlace, buffer.baseAddress, Int32(values.count), mpi.double, mpi[keyPath: op], mpi.world), "MPI_Allreduce")
        }
        return result
    }

    public func allGather(_ words: [UInt64]) -> [[UInt64]] {
        guard let mpi, size > 1 else { return [words] }
        var all = [UInt64](repeating: 0, count: words.count * size)
        words.withUnsafeBytes { send in
            all.withUnsafeMutableBytes { receive in
                mpi.check(
                    mpi.allgather(send.baseAddress, Int32(send.count), mpi.byte, receive.baseAddress, Int32(send.count), mpi.byte, mpi.world),
                    "MPI_Allgather")
            }
        }
        return (0..<size).map { Array(all[$0 * words.count..<($0 + 1) * words.count]) }
    }

    public func broadcast(_ bytes: [UInt8], from root: Int) -> [UInt8] {
        guard let mpi, size > 1 else { return bytes }
        var count = [UInt64(bytes.count)]
        count.withUnsafeMutableBytes { mpi.check(mpi.bcast($0.baseAddress, 8, mpi.byte, Int32(root), mpi.world), "MPI_Bcast") }
        var result = rank == root ? bytes : [UInt8](repeating: 0, count: Int(count[0]))
        if !result.isEmpty {
            result.withUnsafeMutableBytes { mpi.check(mpi.bcast($0.baseAddress, Int32($0.count), mpi.byte, Int32(root), mpi.world), "MPI_Bcast") }
        }
        return result
    }

    // MARK: Collectives on tensors

    /// Overwrites `tensor` (contiguous) with process `root`'s values.
    public func broadcast(_ tensor: Tensor, from root: Int = 0) {
        guard let mpi, size > 1 else { return }
        noGrad {
            tensor.withUnsafeMutableBytes { bytes in
                for start in stride(from: 0, to: bytes.count, by: Int(Int32.max)) {
                    let count = Swift.min(bytes.count - start, Int(Int32.max))
                    mpi.check(mpi.bcast(bytes.baseAddress! + start, Int32(count), mpi.byte, Int32(root), mpi.world), "MPI_Bcast")
                }
            }
        }
    }

    /// Replaces `tensor`'s values (contiguous float32 or float64) by their sum over every process.
    public func sumInPlace(_ tensor: Tensor) {
        guard let mpi, size > 1, tensor.count > 0 else { return }
        let type = datatype(of: tensor, "sumInPlace")
        noGrad {
            tensor.withUnsafeMutableBytes { bytes in
                mpi.check(mpi.allreduce(OpenMPI.inPlace, bytes.baseAddress, Int32(tensor.count), type, mpi.sum, mpi.world), "MPI_Allreduce")
            }
        }
    }

    /// Sums `buffer` (float32 or float64 values) over every process in place, blocking: for
    /// large buffers about twice as fast as a started sum waited for at once.
    public func sumInPlace(_ buffer: UnsafeMutableRawBufferPointer, dtype: DType) {
        guard let mpi, size > 1, !buffer.isEmpty else { return }
        let type = dtype == .float64 ? mpi.double : mpi.float
        mpi.check(mpi.allreduce(OpenMPI.inPlace, buffer.baseAddress, Int32(buffer.count / dtype.size), type, mpi.sum, mpi.world), "MPI_Allreduce")
    }

    /// Starts summing `buffer` over every process in place; the buffer must stay alive and
    /// untouched until the returned reduction is waited for.
    public func startSum(_ buffer: UnsafeMutableRawBufferPointer, dtype: DType) -> PendingSum {
        guard let mpi, size > 1, !buffer.isEmpty else { return PendingSum(mpi: nil, request: nil) }
        let type = dtype == .float64 ? mpi.double : mpi.float
        var request: OpenMPI.Handle?
        mpi.check(
            mpi.iallreduce(OpenMPI.inPlace, buffer.baseAddress, Int32(buffer.count / dtype.size), type, mpi.sum, mpi.world, &request),
            "MPI_Iallreduce")
        return PendingSum(mpi: mpi, request: request)
    }

    private func datatype(of tensor: Tensor, _ op: String) -> OpenMPI.Handle {
        precondition(
            tensor.dtype == .float32 || tensor.dtype == .float64,
            "\(op): a sum over processes takes float32 or float64, got \(tensor.dtype) of shape \(tensor.shape)")
        return tensor.dtype == .float64 ? mpi!.double : mpi!.float
    }
}

/// A sum over processes in flight (`MPI_Iallreduce`).
public final class PendingSum {
    let mpi: OpenMPI?
    var request: OpenMPI.Handle?

    init(mpi: OpenMPI?, request: OpenMPI.Handle?) { (self.mpi, self.request) = (mpi, request) }

    /// Whether it has finished; lets MPI make progress.
    public func poll() -> Bool {
        guard let mpi, request != nil else { return true }
        var done: Int32 = 0
        mpi.check(mpi.test(&request, &done, nil), "MPI_Test")
        if done != 0 { request = nil }
        return done != 0
    }

    /// Blocks until it has finished.
    public func wait() {
        guard let mpi, request != nil else { return }
        mpi.check(mpi.wait(&request, nil), "MPI_Wait")
        request = nil
    }
}

func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
