import Neuron

/// Batch transforms for images laid out [N, C, H, W] (float32), for `DataLoader`.
public enum Transforms {
    /// (x − mean) / std, one value for all channels.
    public static func normalize(mean: Double, std: Double) -> Transform {
        { x, _ in (x - mean) / std }
    }

    /// Pads each image by `padding` zeros on every side, then cuts a random H × W window
    /// (independently per image), as torchvision's RandomCrop(size, padding).
    public static func randomCrop(padding: Int) -> Transform {
        { x, generator in
            precondition(x.rank == 4, "randomCrop: expects [N, C, H, W], got \(x.shape)")
            let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
            let padded = x.padded([padding, padding, padding, padding]).toArray(Float.self)
            let ph = h + 2 * padding, pw = w + 2 * padding
            var out = [Float](repeating: 0, count: n * c * h * w)
            for i in 0..<n {
                let top = generator.next(below: 2 * padding + 1), left = generator.next(below: 2 * padding + 1)
                for ch in 0..<c {
                    for row in 0..<h {
                        let source = ((i * c + ch) * ph + top + row) * pw + left
                        let target = ((i * c + ch) * h + row) * w
                        for col in 0..<w { out[target + col] = padded[source + col] }
                    }
                }
            }
            return Tensor(out, shape: x.shape)
        }
    }

    /// Mirrors each image left–right with probability `p`.
    public static func horizontalFlip(p: Double = 0.5) -> Transform {
        { x, generator in
            precondition(x.rank == 4, "horizontalFlip: expects [N, C, H, W], got \(x.shape)")
            let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
            var values = x.toArray(Float.self)
            for i in 0..<n where generator.nextUnit() < p {
                for row in 0..<(c * h) {
                    let base = (i * c * h + row) * w
                    values[base..<(base + w)].reverse()
                }
            }
            return Tensor(values, shape: x.shape)
        }
    }

    /// Adds Gaussian noise of standard deviation `std`.
    public static func additiveNoise(std: Double) -> Transform {
        { x, generator in x + Tensor.normal(x.shape, std: std, dtype: x.dtype, generator: generator) }
    }

    /// Gaussian noise of standard deviation `std`, then clamped to [0, 1]: the corruption of a
    /// denoising autoencoder on pixels.
    public static func gaussianPixelNoise(std: Double) -> Transform {
        { x, generator in (x + Tensor.normal(x.shape, std: std, dtype: x.dtype, generator: generator)).clamped(min: 0, max: 1) }
    }

    /// Masking noise: each element set to 0 with probability `p`.
    public static func maskingNoise(p: Double) -> Transform {
        precondition(p >= 0 && p < 1, "maskingNoise: probability \(p) must be in [0, 1)")
        return { x, generator in x * Tensor.bernoulli(x.shape, p: 1 - p, dtype: x.dtype, generator: generator) }
    }

    /// Applies transforms in order.
    public static func compose(_ transforms: [Transform]) -> Transform {
        { x, generator in transforms.reduce(x) { $1($0, generator) } }
    }
}
