/// Compares analytic gradients with central finite differences in Float64, with PyTorch's
/// `gradcheck` tolerances. Usable for any op or layer: pass a function of the inputs.
public enum GradientCheck {
    /// The largest mismatch found, for test messages.
    public struct Failure: Error, CustomStringConvertible {
        public let input: Int
        public let element: Int
        public let analytic: Double
        public let numeric: Double
        public let order: Int
        public var description: String {
            "order-\(order) gradient mismatch at input \(input), element \(element): analytic \(analytic), numeric \(numeric)"
        }
    }

    /// Checks first derivatives of `function` at `inputs` (converted to Float64 leaves).
    /// A non-scalar output is reduced as sum(output · v) for a fixed random v.
    public static func check(
        _ inputs: [Tensor], eps: Double = 1e-6, atol: Double = 1e-5, rtol: Double = 1e-3,
        _ function: @escaping ([Tensor]) -> Tensor
    ) -> Failure? {
        let leaves = inputs.map { $0.to(.float64).copy().detach().requiringGrad() }
        let scalarised = scalarise(function, leaves)
        return compare(leaves, eps: eps, atol: atol, rtol: rtol, order: 1, scalarised)
    }

    /// Checks second derivatives: the gradient of sum(∇f · w), for a fixed random w, with
    /// respect to the inputs, against finite differences of the first-order gradient.
    public static func checkSecondOrder(
        _ inputs: [Tensor], eps: Double = 1e-6, atol: Double = 1e-5,
        rtol: Double = 1e-3, _ function: @escaping ([Tensor]) -> Tensor
    ) -> Failure? {
        let leaves = inputs.map { $0.to(.float64).copy().detach().requiringGrad() }
        let first = scalarise(function, leaves)
        let generator = RandomGenerator(seed: 7)
        let weights = leaves.map { Tensor.normal($0.shape, dtype: .float64, generator: generator) }
        let gradientDotWeights: ([Tensor]) -> Tensor = { xs in
            let grads = gradients(of: first(xs), wrt: xs, createGraph: true)
            return zip(grads, weights).map { ($0 * $1).sum() }.reduce(Tensor(0, dtype: .float64), +)
        }
        return compare(leaves, eps: eps, atol: atol, rtol: rtol, order: 2, gradientDotWeights)
    }

    static func scalarise(_ function: @escaping ([Tensor]) -> Tensor, _ leaves: [Tensor]) -> ([Tensor]) -> Tensor {
        let probe = noGrad { function(leaves) }
        if probe.count == 1 { return { function($0).reshaped([]).to(.float64) } }
        let v = Tensor.normal(probe.shape, dtype: .float64, generator: RandomGenerator(seed: 3))
        return { (function($0).to(.float64) * v).sum() }
    }

    static func compare(
        _ leaves: [Tensor], eps: Double, atol: Double, rtol: Double, order: Int,
        _ function: @escaping ([Tensor]) -> Tensor
    ) -> Failure? {
        let output = function(leaves)
        let analytic =
            output.requiresGrad
            ? gradients(of: output, wrt: leaves, retainGraph: false).map { $0.toArray(Double.self) }
            : leaves.map { [Double](repeating: 0, count: $0.count) }
        var worst: (Failure, Double)?
        for (i, leaf) in leaves.enumerated() {
            // Perturbed through the device's contract: a host copy, stored back after each change.
            var values = leaf.toArray(Double.self)
            func store() { values.withUnsafeBytes { leaf.storeBytes($0) } }
            for j in 0..<leaf.count {
                let saved = values[j]
                values[j] = saved + eps
                store()
                // Second-order checks differentiate inside `function`, so they keep recording.
                let plus = order == 1 ? noGrad { function(leaves).item() } : function(leaves).item()
                values[j] = saved - eps
                store()
                let minus = order == 1 ? noGrad { function(leaves).item() } : function(leaves).item()
                values[j] = saved
                store()
                let numeric = (plus - minus) / (2 * eps)
                let error = Swift.abs(analytic[i][j] - numeric) - (atol + rtol * Swift.abs(numeric))
                if error > 0 || !analytic[i][j].isFinite, error > (worst?.1 ?? 0) || worst == nil {
                    worst = (Failure(input: i, element: j, analytic: analytic[i][j], numeric: numeric, order: order), error)
                }
            }
        }
        return worst?.0
    }
}
