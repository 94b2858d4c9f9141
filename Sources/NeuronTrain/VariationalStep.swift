import Glibc
import Neuron
import NeuronData
import NeuronNN

/// Trains a variational autoencoder: negative ELBO (reconstruction nats + β·KL) per image,
/// one reparameterised draw per image from `noise`. Figures: "loss" (−ELBO when β = 1),
/// "reconstruction", "kl"; validation adds "elbo". With `binarize`, pixels are redrawn as
/// Bernoulli samples of their intensity every time an image is seen (dynamic binarisation).
public final class VariationalAutoencoderStep: TrainingStep {
    public let model: any VariationalAutoencoderModel
    public let optimizer: Optimizer
    public var scheduler: LRScheduler?
    public let beta: Double
    public let binarize: Bool
    /// Draws the reparameterisation noise and the binarised pixels.
    public let noise: RandomGenerator

    public init(
        model: any VariationalAutoencoderModel, optimizer: Optimizer, scheduler: LRScheduler? = nil,
        beta: Double = 1, binarize: Bool = false, noise: RandomGenerator = RandomGenerator(seed: 0)
    ) {
        precondition(beta >= 0, "VariationalAutoencoderStep: beta must be ≥ 0, got \(beta)")
        (self.model, self.optimizer, self.scheduler, self.beta, self.binarize, self.noise) = (model, optimizer, scheduler, beta, binarize, noise)
    }

    public var models: [(name: String, module: Module)] { [("model", model)] }
    public var optimizers: [(name: String, optimizer: Optimizer)] { [("optimizer", optimizer)] }
    public var schedulers: [(name: String, scheduler: LRScheduler, interval: ScheduleInterval)] {
        scheduler.map { [("scheduler", $0, .epoch)] } ?? []
    }
    public var generators: [(name: String, generator: RandomGenerator)] { [("noise", noise)] }

    func images(_ batch: Batch) -> Tensor {
        let x = batch.inputs
        // Drawn on the CPU and moved, so that a run draws the same numbers on every device.
        return binarize ? (Tensor.uniform(x.shape, dtype: x.dtype, device: .cpu, generator: noise).to(x.device) .< x).to(x.dtype) : x
    }

    /// The batch's loss (−ELBO per image, with β) and its two parts.
    func losses(_ images: Tensor) -> (loss: Tensor, parts: [String: Double]) {
        let draw = Tensor.normal([images.shape[0], model.latentSize], dtype: images.dtype, device: .cpu, generator: noise).to(images.device)
        let (elbo, reconstruction, kl) = model.elbo(images, noise: draw, beta: beta)
        return (-elbo.mean(), ["reconstruction": reconstruction.mean().item(), "kl": kl.mean().item()])
    }

    public func train(_ batch: Batch, trainer: Trainer) throws -> [String: Double] {
        optimizer.zeroGrad()
        var (loss, figures) = losses(images(batch))
        figures["loss"] = trainer.backward(loss)
        trainer.update(optimizer)
        return figures
    }

    public func validate(_ batch: Batch, trainer: Trainer) throws -> [String: Double] {
        var (loss, figures) = losses(images(batch))
        figures["loss"] = loss.item()
        figures["elbo"] = -(figures["reconstruction"]! + figures["kl"]!)
        return figures
    }
}
