import Glibc
import Neuron
import NeuronData
import NeuronNN

/// A variational autoencoder with a diagonal Gaussian encoder q(z|x) and a Bernoulli decoder
/// p(x|z) over flattened pixels, against the standard normal prior.
public protocol VariationalAutoencoderModel: Module {
    var latentSize: Int { get }
    /// The mean and log-variance [N, Z] of q(z|x) for images [N, …].
    func encode(_ images: Tensor) -> (mean: Tensor, logVariance: Tensor)
    /// The decoder's pixel logits [N, D] (D = pixels per image) for codes [N, Z].
    func decodeLogits(_ codes: Tensor) -> Tensor
}

extension VariationalAutoencoderModel {
    /// −log p(x|z) of a Bernoulli decoder, summed over pixels: [N].
    func reconstructionNats(_ logits: Tensor, _ images: Tensor) -> Tensor {
        binaryCrossEntropyWithLogits(logits, images.reshaped([images.shape[0], -1]), reduction: .none).sum(axis: 1)
    }

    /// The evidence lower bound per image in nats ([N]) from one draw of z per image, and its
    /// two parts (reconstruction nats, KL).
    public func elbo(_ images: Tensor, noise: Tensor, beta: Double = 1) -> (elbo: Tensor, reconstruction: Tensor, kl: Tensor) {
        let (mean, logVariance) = encode(images)
        let z = reparameterize(mean: mean, logVariance: logVariance, noise: noise)
        let reconstruction = reconstructionNats(decodeLogits(z), images)
        let kl = gaussianKLDivergence(mean: mean, logVariance: logVariance)
        return (-(reconstruction + kl * beta), reconstruction, kl)
    }

    /// The importance-weighted estimate of log p(x) in nats per image ([N]) with `samples`
    /// draws from q(z|x) (the IWAE bound; tighter as `samples` grows). Runs without recording.
    public func importanceWeightedLogLikelihood(_ images: Tensor, samples: Int, generator: RandomGenerator) -> Tensor {
        precondition(samples >= 1, "importanceWeightedLogLikelihood: samples must be ≥ 1, got \(samples)")
        return noGrad {
            let (mean, logVariance) = encode(images)
            let n = images.shape[0]
            var weights: [Tensor] = []
            for _ in 0..<samples {
                let z = reparameterize(mean: mean, logVariance: logVariance,
                                       noise: Tensor.normal(mean.shape, dtype: mean.dtype, generator: generator))
                let logPrior = gaussianLogDensity(z, mean: z.zerosLike(), logVariance: z.zerosLike())
                let logPosterior = gaussianLogDensity(z, mean: mean, logVariance: logVariance)
                weights.append((-reconstructionNats(decodeLogits(z), images) + logPrior - logPosterior).reshaped([n, 1]))
            }
            return Tensor.concat(weights, axis: 1).logSumExp(axis: 1) - Glibc.log(Double(samples))
        }
    }
}

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

    public init(model: any VariationalAutoencoderModel, optimizer: Optimizer, scheduler: LRScheduler? = nil,
                beta: Double = 1, binarize: Bool = false, noise: RandomGenerator = RandomGenerator(seed: 0)) {
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
        return binarize ? (Tensor.uniform(x.shape, dtype: x.dtype, generator: noise) .< x).to(x.dtype) : x
    }

    /// The batch's loss (−ELBO per image, with β) and its two parts.
    func losses(_ images: Tensor) -> (loss: Tensor, parts: [String: Double]) {
        let draw = Tensor.normal([images.shape[0], model.latentSize], dtype: images.dtype, generator: noise)
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
