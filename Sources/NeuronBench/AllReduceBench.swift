import Neuron
import NeuronDistributed

/// The sum over the processes of a job of float32 buffers from 4 KB to 64 MB, as gradient
/// buckets are summed, blocking (`MPI_Allreduce`) and started then waited for
/// (`MPI_Iallreduce`): the median time of each, and the bus bandwidth a ring all-reduce would
/// need for it, 2(N − 1)/N × bytes ÷ time (NCCL's "busbw"). Run under mpirun.
public enum AllReduceBench {
    public static let sizes = [4 << 10, 64 << 10, 1 << 20, 4 << 20, 25 << 20, 64 << 20]

    public static func run(_ communicator: Communicator) -> [BenchResult] {
        let processes = Double(communicator.size)
        return sizes.flatMap { bytes in
            let buffer = Tensor.ones([bytes / 4])
            let runs = bytes >= 16 << 20 ? 5 : 30
            communicator.barrier()
            let blocking = medianTime(runs: runs) { communicator.sumInPlace(buffer) }
            communicator.barrier()
            let started = medianTime(runs: runs) {
                buffer.withUnsafeMutableBytes { communicator.startSum($0, dtype: .float32).wait() }
            }
            return [("allreduce", blocking), ("iallreduce", started)].map { name, seconds in
                let busBandwidth = 2 * (processes - 1) / processes * Double(bytes) / seconds / 1e9
                return BenchResult(
                    "\(name)_\(bytes >> 10)KB",
                    [("processes", processes), ("bytes", Double(bytes)), ("us", seconds * 1e6), ("bus_GBps", busBandwidth)])
            }
        }
    }
}
