import Glibc
import Neuron

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
    public func reconstructionNats(_ logits: Tensor, _ images: Tensor) -> Tensor {
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
                let z = reparameterize(
                    mean: mean, logVariance: logVariance,
                    noise: Tensor.normal(mean.shape, dtype: mean.dtype, device: mean.device, generator: generator))
                let logPrior = gaussianLogDensity(z, mean: z.zerosLike(), logVariance: z.zerosLike())
                let logPosterior = gaussianLogDensity(z, mean: mean, logVariance: logVariance)
                weights.append((-reconstructionNats(decodeLogits(z), images) + logPrior - logPosterior).reshaped([n, 1]))
            }
            return Tensor.concat(weights, axis: 1).logSumExp(axis: 1) - Glibc.log(Double(samples))
        }
    }
}
