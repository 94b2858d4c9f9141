import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronTrain

/// One epoch of training a zoo model (batch 64, Adam 1e-3) on Fashion-MNIST, then test accuracy
/// (for the autoencoder: MSE on raw pixels, then test MSE); `batches` cuts the epoch short.
/// Classifiers see pixels standardised with the training set's mean and deviation, as the
/// peers' benchmarks and `neuron train` feed them; autoencoders and GANs see raw pixels.
/// On a GPU the batches are uploaded as the loader assembles them, and the clock stops after the
/// device has finished the last step.
public enum ModelBench {
    /// The models it times: every registered classifier, the dense autoencoder and the MLP GAN.
    public static var models: [String] { ModelRegistry.names(in: [.classifier]) + ["autoencoder", "gan"] }

    /// `graphs: false` runs every step op by op (to compare with replaying recorded graphs);
    /// `autocast: true` runs forward and backward under `autocast(.bfloat16)`. Besides
    /// `models`, it runs "conv-autoencoder" and the other GANs of the registry ("cgan", "dcgan").
    public static func run(
        _ name: String, directory: String? = nil, batches: Int? = nil, device: Device = .cpu, graphs: Bool = true,
        autocast reduced: Bool = false
    ) throws -> BenchResult {
        try autocast(.bfloat16, enabled: reduced) {
            try runModel(name, directory: directory, batches: batches, device: device, graphs: graphs)
        }
    }

    static func runModel(_ name: String, directory: String?, batches: Int?, device: Device, graphs: Bool) throws -> BenchResult {
        Random.seed(0)
        let isAutoencoder = name == "autoencoder" || name == "conv-autoencoder", isGAN = ["gan", "dcgan", "cgan"].contains(name)
        let train = try FashionMNIST.load(.train, directory: directory, normalized: !isAutoencoder && !isGAN)
        let test = try FashionMNIST.load(.test, directory: directory, normalized: !isAutoencoder && !isGAN)
        if isAutoencoder {
            // The peers' dense autoencoder (784-128-32-128-784) on raw [0, 1] pixels, MSE (or the zoo's convolutional one).
            let model: any Layer = name == "autoencoder" ? DenseAutoencoder().to(device) : try ModelRegistry.network(name).to(device)
            let timing = trainEpoch(model, train, batches: batches, device: device, graphs: graphs) {
                mseLoss($0, $1.inputs)
            }
            let inputs = test.inputs.to(device)
            let mse: Double = noGrad { mseLoss(model(inputs), inputs).item() }
            return result(name, timing, metric: ("test_mse", mse))
        }
        if isGAN { return try gan(name, train, batches: batches, device: device, graphs: graphs) }
        let model = try ModelRegistry.network(name).to(device)
        let timing = trainEpoch(model, train, batches: batches, device: device, graphs: graphs) {
            crossEntropy($0, $1.targets)
        }
        model.eval()
        let accuracy: Double = noGrad {
            let loader = DataLoader(test, batchSize: 1000, prefetch: false)
            loader.device = device
            let batches = loader.batches(epoch: 0)
            let correct = batches.map { (model($0.inputs).argmax(axis: 1) .== $0.targets).sum().item() }.reduce(0, +)
            return correct / Double(test.count)
        }
        return result(name, timing, metric: ("test_accuracy", accuracy))
    }

    /// The peers' MLP GAN (G 64-256-512-784, D 784-512-256-1, LeakyReLU 0.2) through the same
    /// `AdversarialStep` that `neuron train --model gan` runs: batch 64, Adam 2e-4 with betas
    /// (0.5, 0.999), one discriminator and one generator update per batch, binary
    /// cross-entropy on logits. Reports the last batch's discriminator loss.
    static func gan(_ name: String, _ train: TensorDataset, batches: Int?, device: Device, graphs: Bool) throws -> BenchResult {
        let (generator, discriminator) =
            name == "gan"
            ? (MLPGenerator() as any ImageGenerator, MLPDiscriminator() as any ImageDiscriminator) : try ModelRegistry.adversarialPair(name)
        generator.to(device)
        discriminator.to(device)
        let step = AdversarialStep(
            generator: generator, discriminator: discriminator,
            generatorOptimizer: Adam(generator.parameters(), lr: 2e-4, betas: (0.5, 0.999)),
            discriminatorOptimizer: Adam(discriminator.parameters(), lr: 2e-4, betas: (0.5, 0.999)))
        step.replays = graphs
        let trainer = Trainer(step: step)
        let loader = DataLoader(train, batchSize: 64, shuffle: true, seed: 0)
        loader.device = device
        var clock = WarmupClock(device: device)
        var lastLoss = Double.nan
        for batch in loader.batches(epoch: 0).prefix(batches ?? Int.max) {
            lastLoss = try step.train(batch, trainer: trainer)["d_loss"]!
            clock.stepped(batch.size)
        }
        return result(name, clock.finish(), metric: ("final_d_loss", lastLoss))
    }

    /// The bare loop: forward, `loss(outputs, batch)`, backward, Adam 1e-3, over one shuffled
    /// epoch of batches of 64, replayed as a recorded graph from the third batch as `neuron
    /// train` does (a CUDA graph on a GPU, a CPUGraph on the CPU).
    /// Returns the timed steps (every one after the first) and the first step's seconds.
    static func trainEpoch(
        _ model: any Layer, _ train: TensorDataset, batches: Int?, device: Device, graphs: Bool,
        loss: (Tensor, Batch) -> Tensor
    ) -> WarmupClock.Timing {
        let stepGraph = StepGraph(enabled: graphs)
        let parameters = model.parameters()
        let optimizer = Adam(model.parameters(), lr: 1e-3)
        let loader = DataLoader(train, batchSize: 64, shuffle: true, seed: 0)
        loader.device = device
        var clock = WarmupClock(device: device)
        for batch in loader.batches(epoch: 0).prefix(batches ?? Int.max) {
            let replayed = stepGraph.run(batch, parameters: parameters, zeroGrad: optimizer.zeroGrad) { b in
                let value = loss(model(b.inputs), b)
                return (value, value)
            }
            if replayed == nil {
                optimizer.zeroGrad()
                loss(model(batch.inputs), batch).backward()
            }
            optimizer.step()
            clock.stepped(batch.size)
        }
        return clock.finish()
    }

    static func result(_ name: String, _ timing: WarmupClock.Timing, metric: (String, Double)) -> BenchResult {
        BenchResult(
            name,
            [
                ("samples_per_s", Double(timing.seen) / timing.seconds), ("train_seconds", timing.seconds),
                ("first_step_seconds", timing.firstStep),
            ], metric: metric)
    }
}

/// Times a training loop as the peers' JAX benchmark does: the first step (which creates the
/// optimiser state and the GEMM kernels, as JAX's compiles) is timed apart and reported, and
/// the rate counts every later step.
struct WarmupClock {
    struct Timing {
        /// Examples in the timed steps, their seconds, and the first step's seconds.
        var seen: Int, seconds: Double, firstStep: Double
    }
    let device: Device
    private let began = now()
    /// When the first step ended, and the examples of the first step and of every later one.
    private var start: Double?
    private var firstExamples = 0, seen = 0

    init(device: Device) { self.device = device }

    /// Call after every step with its batch size.
    mutating func stepped(_ examples: Int) {
        if start == nil {
            device.synchronize()
            start = now()
            firstExamples = examples
        } else {
            seen += examples
        }
    }

    /// Waits for the device and returns the timing; a single step counts as the timed one.
    func finish() -> Timing {
        device.synchronize()
        let end = now()
        guard let start, seen > 0 else { return Timing(seen: firstExamples, seconds: end - began, firstStep: end - began) }
        return Timing(seen: seen, seconds: end - start, firstStep: start - began)
    }
}
