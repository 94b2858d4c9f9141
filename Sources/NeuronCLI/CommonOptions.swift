import Neuron
import NeuronModels

/// The options the training commands share (`neuron train` for every model, `neuron
/// finetune` for every task), each defined once here, so that an option every run takes is
/// added in one place. Specs whose default depends on the model take it as text for the help.
enum CommonOptions {
    static func epochs(default text: String) -> Options.Spec {
        Options.Spec(name: "epochs", value: "N", help: "epochs to train (default \(text))")
    }
    static func batchSize(default size: Int) -> Options.Spec {
        Options.Spec(name: "batch-size", value: "B", help: "mini-batch size (default \(size))")
    }
    static let optimizer = Options.Spec(name: "optimizer", value: "NAME", help: "adam (default), adamw or sgd")
    static func lr(default text: String) -> Options.Spec {
        Options.Spec(name: "lr", value: "X", help: "learning rate (default \(text); 0.05 for sgd)")
    }
    static let seed = Options.Spec(name: "seed", value: "S", help: "random seed (default 0)")
    static let out = Options.Spec(name: "out", value: "DIR", help: "output folder (default runs/<model>)")
    static func schedule(default name: String) -> Options.Spec {
        Options.Spec(
            name: "schedule", value: "NAME",
            help: "learning-rate schedule per epoch: cosine (to 0 at the last epoch) or constant (default \(name))")
    }
    static func clipNorm(default norm: Double?) -> Options.Spec {
        Options.Spec(
            name: "clip-norm", value: "X",
            help: "clip the gradients' global norm before each update (default \(norm.map { "\($0)" } ?? "none"))")
    }
    static let resume = Options.Spec(name: "resume", value: nil, help: "continue from OUT/checkpoint.safetensors")
    static let detectAnomaly = Options.Spec(
        name: "detect-anomaly", value: nil,
        help: "check every op for NaN/infinity on every step (slow); by default only a failing step is re-run to name the op")

    static let device = Options.Spec(
        name: "device", value: "DEV", help: "cpu (default, or NEURON_DEFAULT_DEVICE), cuda or cuda:N (see `neuron devices`)")

    static let noGraphs = Options.Spec(
        name: "no-graphs", value: nil,
        help: "run every training step op by op instead of replaying it as a recorded graph (a CUDA graph on a GPU, a CPUGraph on the CPU)")

    /// `--device`, checked: a CUDA device that is not there stops with one line saying why.
    /// Without it, `Device.default` (the CPU unless NEURON_DEFAULT_DEVICE says otherwise).
    static func device(_ options: Options, command: String) -> Device {
        guard let text = options.string("device") else { return .default }
        guard let device = Device(text) else { fail("\(command): --device must be cpu, cuda or cuda:N, got '\(text)'") }
        if device.isCPU { return device }
        guard Device.cudaAvailable else { fail("\(command): --device \(text): \(Device.cudaStatus)") }
        guard device.index < Device.cudaDeviceCount else {
            fail("\(command): --device \(text): only \(Device.cudaDeviceCount) CUDA device(s) present")
        }
        return device
    }

    static let stepsPerEpoch = Options.Spec(
        name: "steps-per-epoch", value: "N", help: "at most N batches per epoch (default: the whole training set)")
    static let noOverlap = Options.Spec(
        name: "no-overlap", value: nil,
        help: "under mpirun: sum the gradients after backward instead of overlapping the sums with it")
    static let syncBatchNorm = Options.Spec(
        name: "sync-batchnorm", value: nil,
        help: "under mpirun: batch-norm statistics over every process's examples (default: each process's own, as DDP)")

    /// What `neuron train` takes for every model, with that model's defaults in the help.
    static func training(_ defaults: TrainingDefaults) -> [Options.Spec] {
        [
            epochs(default: "\(defaults.epochs)"), batchSize(default: defaults.batchSize), optimizer,
            lr(default: "\(defaults.learningRate) with adam or adamw"), seed, out, schedule(default: defaults.schedule),
            clipNorm(default: defaults.clipNorm), stepsPerEpoch, resume, detectAnomaly, noOverlap,
            syncBatchNorm, device, noGraphs,
        ]
    }

    /// `--steps-per-epoch N`, or nil: the whole training set each epoch.
    static func stepsPerEpoch(_ options: Options) -> Int? {
        options.string("steps-per-epoch") == nil ? nil : options.int("steps-per-epoch", default: 1)
    }

    /// The random seed of a run (`--seed`, default 0).
    static func seed(_ options: Options) -> Int { options.int("seed", default: 0, minimum: 0) }

    /// The output folder of a run (`--out`, default `fallback`).
    static func out(_ options: Options, default fallback: String) -> String { options.string("out", default: fallback)! }
}
