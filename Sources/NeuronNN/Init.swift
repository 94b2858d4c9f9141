import Neuron

/// Weight initialisers (PyTorch's `torch.nn.init`), filling tensors in place.
public enum Init {
    /// The nonlinearity a gain is computed for.
    public enum Nonlinearity: Sendable {
        case linear, sigmoid, tanh, relu, selu
        case leakyRelu(negativeSlope: Double)
    }

    /// PyTorch's recommended gain for a nonlinearity.
    public static func gain(_ nonlinearity: Nonlinearity) -> Double {
        switch nonlinearity {
        case .linear, .sigmoid: 1
        case .tanh: 5.0 / 3
        case .relu: 2.0.squareRoot()
        case .selu: 0.75
        case .leakyRelu(let slope): (2 / (1 + slope * slope)).squareRoot()
        }
    }

    /// Which fan a Kaiming initialiser preserves the variance of.
    public enum FanMode: Sendable { case fanIn, fanOut }

    /// (fan in, fan out) of a weight: dimension 1 and 0 times the receptive field size.
    public static func fans(_ tensor: Tensor) -> (fanIn: Int, fanOut: Int) {
        precondition(tensor.rank >= 2, "Init: fan in and fan out need at least 2 dimensions, got shape \(tensor.shape)")
        let receptive = tensor.shape.dropFirst(2).reduce(1, *)
        return (tensor.shape[1] * receptive, tensor.shape[0] * receptive)
    }

    static func fill(_ tensor: Tensor, with values: Tensor) { noGrad { tensor.assign(values.to(tensor.device)) } }

    public static func uniform(
        _ tensor: Tensor, low: Double = 0, high: Double = 1,
        generator: RandomGenerator = Random.generator
    ) {
        fill(tensor, with: Tensor.uniform(tensor.shape, low: low, high: high, dtype: tensor.dtype, generator: generator))
    }

    public static func normal(
        _ tensor: Tensor, mean: Double = 0, std: Double = 1,
        generator: RandomGenerator = Random.generator
    ) {
        fill(tensor, with: Tensor.normal(tensor.shape, mean: mean, std: std, dtype: tensor.dtype, generator: generator))
    }

    public static func constant(_ tensor: Tensor, _ value: Double) { noGrad { tensor.fill(value) } }
    public static func zeros(_ tensor: Tensor) { constant(tensor, 0) }
    public static func ones(_ tensor: Tensor) { constant(tensor, 1) }

    /// Glorot uniform: U(±gain·√(6 / (fan in + fan out))).
    public static func xavierUniform(_ tensor: Tensor, gain: Double = 1, generator: RandomGenerator = Random.generator) {
        let (fanIn, fanOut) = fans(tensor)
        let bound = gain * (6 / Double(fanIn + fanOut)).squareRoot()
        uniform(tensor, low: -bound, high: bound, generator: generator)
    }

    /// Glorot normal: N(0, gain²·2 / (fan in + fan out)).
    public static func xavierNormal(_ tensor: Tensor, gain: Double = 1, generator: RandomGenerator = Random.generator) {
        let (fanIn, fanOut) = fans(tensor)
        normal(tensor, std: gain * (2 / Double(fanIn + fanOut)).squareRoot(), generator: generator)
    }

    static func kaimingStd(_ tensor: Tensor, a: Double, mode: FanMode, nonlinearity: Nonlinearity?) -> Double {
        let (fanIn, fanOut) = fans(tensor)
        let fan = mode == .fanIn ? fanIn : fanOut
        return gain(nonlinearity ?? .leakyRelu(negativeSlope: a)) / Double(fan).squareRoot()
    }

    /// He uniform: U(±√3 · gain / √fan); the gain is leaky-ReLU's with slope `a` unless a
    /// nonlinearity is given (PyTorch's defaults).
    public static func kaimingUniform(
        _ tensor: Tensor, a: Double = 0, mode: FanMode = .fanIn,
        nonlinearity: Nonlinearity? = nil, generator: RandomGenerator = Random.generator
    ) {
        let bound = 3.0.squareRoot() * kaimingStd(tensor, a: a, mode: mode, nonlinearity: nonlinearity)
        uniform(tensor, low: -bound, high: bound, generator: generator)
    }

    /// He normal: N(0, (gain / √fan)²).
    public static func kaimingNormal(
        _ tensor: Tensor, a: Double = 0, mode: FanMode = .fanIn,
        nonlinearity: Nonlinearity? = nil, generator: RandomGenerator = Random.generator
    ) {
        normal(tensor, std: kaimingStd(tensor, a: a, mode: mode, nonlinearity: nonlinearity), generator: generator)
    }

    /// A (semi-)orthogonal matrix from the QR decomposition of a Gaussian one, scaled by
    /// `gain`; dimensions after the first are flattened.
    public static func orthogonal(_ tensor: Tensor, gain: Double = 1, generator: RandomGenerator = Random.generator) {
        precondition(tensor.rank >= 2, "Init.orthogonal: needs at least 2 dimensions, got shape \(tensor.shape)")
        let rows = tensor.shape[0], cols = tensor.count / rows
        let tall = rows >= cols
        let (m, n) = tall ? (rows, cols) : (cols, rows)
        // Modified Gram–Schmidt on the n columns of an m × n Gaussian matrix (m ≥ n).
        var columns = generator.exclusive { (0..<n).map { _ in (0..<m).map { _ in generator.nextNormal() } } }
        for j in 0..<n {
            for k in 0..<j {
                let dot = zip(columns[j], columns[k]).reduce(0) { $0 + $1.0 * $1.1 }
                for i in 0..<m { columns[j][i] -= dot * columns[k][i] }
            }
            let norm = columns[j].reduce(0) { $0 + $1 * $1 }.squareRoot()
            for i in 0..<m { columns[j][i] /= norm }
        }
        var values = [Double](repeating: 0, count: rows * cols)
        for r in 0..<rows {
            for c in 0..<cols { values[r * cols + c] = gain * (tall ? columns[c][r] : columns[r][c]) }
        }
        fill(tensor, with: Tensor(values, shape: tensor.shape, dtype: tensor.dtype))
    }
}
