import Glibc
import Neuron
import NeuronData
import NeuronDistributed
import NeuronNN
import NeuronTrain

/// The processes of this run: a world of one, or the job `mpirun -np N neuron train …` started.
nonisolated(unsafe) var job: Communicator?

/// "process R: " in a job of several processes, so that a failing process names itself.
nonisolated(unsafe) var processLabel = ""

/// The line a process prints when told to stop, prepared before any signal can come (a
/// signal handler may not allocate).
nonisolated(unsafe) var terminationLine: UnsafeMutablePointer<CChar>?

/// The commands that run as a job under `mpirun`: data-parallel training, and the
/// communication benchmark.
let dataParallelCommands: Set<String> = ["train", "finetune", "bench"]

/// Joins the job when `mpirun` started this process: every process checks that all were given
/// the same command line, only process 0 prints to standard output, each process uses its
/// share of the machine's cores, and a process told to stop (because another one died)
/// says so in one line and exits with status 1.
func joinJob(command: String, arguments: [String]) {
    guard Communicator.isLaunchedByMPI else { return }
    let world: Communicator
    do { world = try Communicator.world } catch { fail("\(error)") }
    job = world
    guard world.size > 1 else { return }
    processLabel = "process \(world.rank): "
    guard dataParallelCommands.contains(command) else {
        fail("\(command) runs in one process; under mpirun only train and finetune run data-parallel (and bench allreduce)")
    }
    terminationLine = strdup("neuron: \(processLabel)stopped: the job ended early (another process failed or was killed, or mpirun was stopped)\n")
    signal(SIGTERM) { _ in
        if let line = terminationLine { _ = write(2, line, strlen(line)) }
        _exit(1)
    }
    let hashes = world.allGather([fnv1a(([command] + arguments).joined(separator: "\u{0}"))])
    if let other = hashes.firstIndex(where: { $0 != hashes[0] }) {
        if world.rank == other { fail("options differ from process 0's: every process must be given the same command line") }
        exit(2)
    }
    if world.rank != 0 { _ = freopen("/dev/null", "w", stdout) }
    // OpenMP's default already counts only the cores mpirun bound this process to.
    if getenv("OMP_NUM_THREADS") == nil { Threads.count = max(1, min(Threads.count, onlineCores() / max(world.localSize, 1))) }
}

/// Ends the job's MPI session after a run that completed.
func leaveJob() { job?.finalize() }

/// Whether this process writes files and prints: process 0 of a job, or the only one.
var isMainProcess: Bool { (job?.rank ?? 0) == 0 }

/// This process's part of every step of a data loader (nil in a single process).
var processShard: DataLoader.Shard? {
    guard let job, job.size > 1 else { return nil }
    return DataLoader.Shard(index: job.rank, count: job.size)
}

func onlineCores() -> Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

func fnv1a(_ text: String) -> UInt64 {
    text.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
}

/// Makes `trainer` data-parallel when this process is one of a job (its loaders must then be
/// `sharded(processShard)`): gradients summed before every update, figures and checkpoints
/// agreed over the processes. Nothing happens in a single process.
@discardableResult
func joinTraining(_ trainer: Trainer, overlap: Bool, syncBatchNorm: Bool) -> DataParallelTraining? {
    guard let job, job.size > 1 else {
        // One process computes what the job would: statistics summed over its only replica.
        if syncBatchNorm {
            for model in trainer.step.models {
                for case let layer as BatchNorm in model.module.modules() { layer.replicaSum = { $0 } }
            }
        }
        return nil
    }
    let parallel = DataParallelTraining(trainer: trainer, communicator: job, overlap: overlap, syncBatchNorm: syncBatchNorm)
    trainer.callbacks.append(DataParallelReport(parallel))
    return parallel
}

/// Prints, after training, how the job ran and how long each process waited for gradient sums.
final class DataParallelReport: Callback {
    let parallel: DataParallelTraining
    init(_ parallel: DataParallelTraining) { self.parallel = parallel }

    func trainEnd(_ trainer: Trainer) throws {
        let communicator = parallel.communicator
        let waits = communicator.allGather([UInt64(parallel.waitSeconds * 1e6)]).map { formatFixed(Double($0[0]) / 1e6, 2) }
        let threads = "\(Threads.count) thread\(Threads.count == 1 ? "" : "s")"
        let mode = parallel.replicas.first?.parallel.overlap ?? true ? "overlapped with backward" : "after backward"
        print("data-parallel: \(communicator.size) processes × \(threads), gradient sums \(mode); waited \(waits.joined(separator: " / ")) s")
    }
}

/// What `neuron finetune`'s trainers take from the command line: `--steps-per-epoch`, and
/// `joinTraining` with `--no-overlap` and `--sync-batchnorm`.
@discardableResult
func prepareTraining(_ trainer: Trainer, _ options: Options) -> DataParallelTraining? {
    trainer.stepsPerEpoch = CommonOptions.stepsPerEpoch(options)
    let device = CommonOptions.device(options, command: options.command)
    for model in trainer.step.models { model.module.to(device) }
    return joinTraining(trainer, overlap: !options.flag("no-overlap"), syncBatchNorm: options.flag("sync-batchnorm"))
}
