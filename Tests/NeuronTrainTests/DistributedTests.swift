import Foundation
import Neuron
import NeuronData
import NeuronDistributed
import NeuronNN
import NeuronTrain
import Testing

/// Open MPI's launcher, when installed (`make test-deps` installs it).
let mpirun = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// Runs `neuron` (or, with `shell`, a shell command line in which `NEURON` names it) in
/// `processes` processes under mpirun.
func runJob(_ processes: Int, _ arguments: [String], shell: Bool = false) throws -> (status: Int32, stdout: String, stderr: String) {
    let launcher = (getuid() == 0 ? ["--allow-run-as-root"] : []) + ["--oversubscribe", "-q", "-np", "\(processes)"]
    return try runProcess(
        mpirun!, launcher + (shell ? ["sh", "-c", arguments.joined(separator: " ")] : [neuronBinary] + arguments),
        environment: ["NEURON": neuronBinary])
}

/// ‖a − b‖ / ‖b‖ for each tensor of two model files, the largest.
func largestRelativeDifference(_ a: String, _ b: String) throws -> Double {
    let (first, _) = try SafeTensors.read(a), (second, _) = try SafeTensors.read(b)
    #expect(Set(first.keys) == Set(second.keys))
    return first.keys.map { key in
        let x = first[key]!.to(.float64), y = second[key]!.to(.float64)
        return ((x - y).square().sum().item()).squareRoot() / max(y.square().sum().item().squareRoot(), 1e-30)
    }.max() ?? 0
}

func lines(_ text: String, containing needle: String) -> [Substring] {
    text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).filter { $0.contains(needle) }
}

@Suite struct ShardingTests {
    @Test func shardsCoverEveryStepOnceAndEvenly() {
        for count in 1...4 {
            for size in [1, 5, 64, 65] {
                let parts = (0..<count).map { DataLoader.Shard(index: $0, count: count).slice(of: 10..<(10 + size)) }
                #expect(parts.flatMap { Array($0) } == Array(10..<(10 + size)))
                #expect(parts.map(\.count).max()! - parts.map(\.count).min()! <= 1)
            }
        }
    }

    @Test func aShortLastStepGivesEmptyShardsAStandIn() {
        let data = TensorDataset(inputs: Tensor((0..<10).map(Double.init), shape: [10, 1]), targets: Tensor(Array(0..<10)))
        let loaders = (0..<4).map { DataLoader(data, batchSize: 8, shard: .init(index: $0, count: 4)) }
        let last = loaders.map { $0.batch(epoch: 0, index: 1, order: Array(0..<10)) }
        #expect(last.map(\.countedSize) == [1, 1, 0, 0])
        #expect(last.map(\.isStandIn) == [false, false, true, true])
        #expect(last.allSatisfy { $0.stepSize == 2 && $0.size == 1 })
        #expect(last.map(\.share) == [0.5, 0.5, 0, 0])
        let first = loaders.map { $0.batch(epoch: 0, index: 0, order: Array(0..<10)) }
        #expect(first.flatMap { $0.targets.toArray(Int.self) } == Array(0..<8))
    }

    @Test(.enabled(if: !Communicator.isLaunchedByMPI)) func withoutMPIRunIsAWorldOfOne() throws {
        let world = try Communicator.world
        #expect(world.rank == 0 && world.size == 1)
        #expect(world.sum([1, 2]) == [1, 2])
        #expect(world.allGather([7]) == [[7]])
        #expect(world.broadcast("text", from: 0) == "text")
        // DataParallel changes nothing in a world of one.
        let model = Linear(3, 2, generator: RandomGenerator(seed: 1))
        let parallel = DataParallel(model, communicator: world)
        (model(Tensor.ones([4, 3])).sum()).backward()
        let before = model.weight.grad!.toArray(Float.self)
        parallel.sync()
        #expect(model.weight.grad!.toArray(Float.self) == before)
    }

    /// The README's loop of one's own, as written there, in a world of one.
    @Test(.enabled(if: !Communicator.isLaunchedByMPI)) func theReadmeLoopTrains() throws {
        let generator = RandomGenerator(seed: 2)
        let labels = Tensor((0..<256).map { $0 % 2 })
        let data = TensorDataset(
            inputs: Tensor.normal([256, 8], generator: generator) + labels.to(.float32).reshaped([256, 1]), targets: labels)
        let model = Linear(8, 2, generator: generator)
        let optimizer = Adam(model.parameters(), lr: 1e-2)
        let before = crossEntropy(model(data.inputs), data.targets).item()
        let world = try Communicator.world
        let parallel = DataParallel(model, communicator: world)
        let loader = DataLoader(data, batchSize: 64, shuffle: true, shard: .init(index: world.rank, count: world.size))
        for epoch in 0..<5 {
            for batch in loader.batches(epoch: epoch) {
                optimizer.zeroGrad()
                parallel.share = batch.share
                crossEntropy(model(batch.inputs), batch.targets).backward()
                parallel.sync()
                optimizer.step()
            }
        }
        #expect(crossEntropy(model(data.inputs), data.targets).item() < before * 0.8)
    }
}

/// Two processes under mpirun against one process, as CI runs them (`make test` installs Open MPI).
@Suite(.serialized, .enabled(if: mpirun != nil)) struct DataParallelCLITests {
    let root = "/tmp/neuron-dp-tests"

    /// The runs compared: long enough to train, short of where these models' training becomes
    /// chaotic (past it, one process with 1 and with 2 threads also part ways: the MLP after
    /// about 460 steps, LeNet-5 after about 100, ResNet-20 from its second step). ResNet-20's
    /// batch norm takes its statistics over both processes' examples, as one process does.
    static let cases: [(model: String, steps: Int, figure: String, extra: [String])] = [
        ("mlp", 400, "test_accuracy=", []), ("lenet", 50, "test_accuracy=", []), ("autoencoder", 300, "test_mse=", []),
        ("resnet20", 1, "test_accuracy=", ["--sync-batchnorm", "--optimizer", "sgd"]),
        // 33 examples: parts of 17 and 16, each process's statistics gradients weighted by its share.
        ("resnet20", 1, "test_accuracy=", ["--sync-batchnorm", "--optimizer", "sgd", "--batch-size", "33"]),
    ]

    @Test(arguments: cases.indices) func twoProcessesEndWithOneProcesssWeights(_ index: Int) throws {
        let (model, steps, figure, extra) = Self.cases[index]
        let batch = extra.contains("--batch-size") ? [] : ["--batch-size", "64"]
        let common =
            ["train", "--model", model, "--epochs", "1", "--schedule", "constant", "--steps-per-epoch", "\(steps)"] + batch + extra
        let one = try runNeuron(common + ["--out", "\(root)/\(model)-\(index)-one"])
        let two = try runJob(2, common + ["--out", "\(root)/\(model)-\(index)-two"])
        #expect(one.status == 0, "\(one.stderr)")
        #expect(two.status == 0, "\(two.stderr)")
        let difference = try largestRelativeDifference(
            "\(root)/\(model)-\(index)-two/model.safetensors", "\(root)/\(model)-\(index)-one/model.safetensors")
        #expect(difference <= 1e-4, "largest relative difference \(difference)")
        // Only process 0 prints, and the figures are over the whole test set.
        let figures = lines(two.stdout, containing: figure)
        #expect(figures.count == 1)
        func value(_ line: Substring?) -> Double { Double(line?.split(separator: "=")[1].split(separator: " ")[0] ?? "") ?? .nan }
        #expect(abs(value(figures.first) - value(lines(one.stdout, containing: figure).first)) <= 0.002)
        #expect(two.stdout.contains("data-parallel: 2 processes"))
    }

    @Test func ganAndVAETrainAndResumeWithTheSameProcesses() throws {
        for (model, extra) in [("gan", ["--fid-samples", "0"]), ("vae", ["--iw-samples", "2"])] {
            let out = "\(root)/\(model)"
            try? FileManager.default.removeItem(atPath: out)
            let common = ["train", "--model", model, "--steps-per-epoch", "20", "--out", out] + extra
            let first = try runJob(2, common + ["--epochs", "1"])
            #expect(first.status == 0, "\(model): \(first.stderr)")
            let resumed = try runJob(2, common + ["--epochs", "2", "--resume"])
            #expect(resumed.status == 0, "\(model): \(resumed.stderr)")
            #expect(resumed.stdout.contains("resuming from epoch 2"))
            let alone = try runNeuron(common + ["--epochs", "3", "--resume"])
            #expect(alone.status != 0)
            #expect(alone.stderr.contains("written by a run of 2 processes, resumed with 1; resume with the same number (mpirun -np 2)"))
        }
    }

    @Test func aKilledProcessStopsTheOthersAndTheCheckpointResumes() throws {
        let out = "\(root)/killed"
        try? FileManager.default.removeItem(atPath: out)
        let common = ["train", "--model", "mlp", "--steps-per-epoch", "60", "--out", out]
        let job = Process()
        job.executableURL = URL(fileURLWithPath: "/bin/sh")
        let launcher = (getuid() == 0 ? "--allow-run-as-root " : "") + "--oversubscribe -q -np 2"
        job.arguments = [
            "-c",
            "exec \(mpirun!) \(launcher) \(neuronBinary) \((common + ["--epochs", "200"]).joined(separator: " ")) > \(root)/killed.out 2> \(root)/killed.err",
        ]
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try job.run()
        // Wait for the first checkpoint, then kill process 1 the hard way.
        let checkpoint = "\(out)/checkpoint.safetensors"
        var waited = 0.0
        while !FileManager.default.fileExists(atPath: checkpoint) && waited < 120 {
            usleep(100_000)
            waited += 0.1
        }
        #expect(FileManager.default.fileExists(atPath: checkpoint))
        let victim = try processOfJob(rank: 1, marker: out)
        #expect(victim != nil)
        if let victim { kill(victim, SIGKILL) }
        let start = Date()
        while job.isRunning && Date().timeIntervalSince(start) < 30 { usleep(50_000) }
        #expect(!job.isRunning, "the job still runs 30 s after a process was killed")
        if job.isRunning {
            job.terminate()
            return
        }
        #expect(job.terminationStatus != 0)
        let stderr = (try? String(contentsOfFile: "\(root)/killed.err", encoding: .utf8)) ?? ""
        #expect(lines(stderr, containing: "neuron:").count == 1, "\(stderr)")
        #expect(stderr.contains("neuron: process 0: stopped: the job ended early"))
        // The checkpoint is intact and the run continues from it.
        let (tensors, _) = try SafeTensors.read(checkpoint)
        let epoch = Int(tensors["progress.epoch"]!.item())
        let resumed = try runJob(2, common + ["--epochs", "\(epoch + 1)", "--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("test_accuracy="))
    }

    @Test func aProcessThatCannotReadItsDataOrDiffersInOptionsNamesItself() throws {
        let dir = "\(root)/data"
        for rank in 0..<2 { try FileManager.default.createDirectory(atPath: "\(dir)/\(rank)", withIntermediateDirectories: true) }
        try String(repeating: "A line of text for the language model.\n", count: 400).write(
            toFile: "\(dir)/0/corpus.txt", atomically: true, encoding: .utf8)
        let missing = try runJob(
            2,
            [
                "cd \(dir)/$OMPI_COMM_WORLD_RANK && exec $NEURON train --model char-lstm --text corpus.txt --epochs 1 --steps-per-epoch 2 --out \(root)/lm"
            ],
            shell: true)
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("neuron: process 1: train: corpus.txt: No such file"), "\(missing.stderr)")
        let differing = try runJob(
            2, ["exec $NEURON train --model mlp --epochs 1 --steps-per-epoch 2 --seed $OMPI_COMM_WORLD_RANK --out \(root)/x"], shell: true)
        #expect(differing.status != 0)
        #expect(
            lines(differing.stderr, containing: "neuron:") == [
                "neuron: process 1: options differ from process 0's: every process must be given the same command line"
            ])
    }

    @Test func aLossThatIsNotFiniteStopsEveryProcess() throws {
        let run = try runJob(
            2, ["train", "--model", "mlp", "--epochs", "1", "--steps-per-epoch", "50", "--optimizer", "sgd", "--lr", "1e6", "--out", "\(root)/nan"])
        #expect(run.status != 0)
        #expect(lines(run.stdout, containing: "stopped: process").count == 1)
        #expect(run.stdout.contains("loss became nan"))
    }

    @Test func commandsOtherThanTrainingRefuseSeveralProcesses() throws {
        let run = try runJob(2, ["summary", "--model", "mlp"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("summary runs in one process; under mpirun only train and finetune run data-parallel (and bench allreduce)"))
    }
}

/// Whether this machine lets the tests make network namespaces (root, `ip` from iproute2).
let canMakeNetworkNamespaces: Bool = {
    guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") || FileManager.default.isExecutableFile(atPath: "/sbin/ip")
    else { return false }
    return system("ip netns add neuron-probe >/dev/null 2>&1 && ip netns del neuron-probe >/dev/null 2>&1") == 0
}()

@Suite(.serialized, .enabled(if: mpirun != nil && canMakeNetworkNamespaces)) struct TwoHostsTests {
    /// Two network namespaces joined by a veth pair stand for two machines: Open MPI's TCP
    /// transport between them, a hostfile, the second host's daemon started inside its
    /// namespace. The job ends with one process's weights.
    @Test func twoHostsOverTCPEndWithOneProcesssWeights() throws {
        let root = "/tmp/neuron-dp-tests"
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/two_hosts.sh").path
        let common = ["train", "--model", "mlp", "--epochs", "1", "--schedule", "constant", "--steps-per-epoch", "100"]
        let run = try runProcess("/bin/bash", [script, neuronBinary] + common + ["--out", "\(root)/two-hosts"])
        #expect(run.status == 0, "\(run.stderr.suffix(2000))")
        #expect(run.stdout.contains("data-parallel: 2 processes"))
        let one = try runNeuron(common + ["--out", "\(root)/two-hosts-one"])
        #expect(one.status == 0)
        let difference = try largestRelativeDifference("\(root)/two-hosts/model.safetensors", "\(root)/two-hosts-one/model.safetensors")
        #expect(difference <= 1e-4, "largest relative difference \(difference)")
    }
}

/// The pid of the job's process `rank` whose command line contains `marker`.
func processOfJob(rank: Int, marker: String) throws -> pid_t? {
    for entry in try FileManager.default.contentsOfDirectory(atPath: "/proc") {
        guard let pid = pid_t(entry),
            let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
            String(decoding: command, as: UTF8.self).contains(marker),
            let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ"),
            String(decoding: environment, as: UTF8.self).split(separator: "\0").contains("OMPI_COMM_WORLD_RANK=\(rank)"),
            !String(decoding: command, as: UTF8.self).hasPrefix("/bin/sh")
        else { continue }
        return pid
    }
    return nil
}
