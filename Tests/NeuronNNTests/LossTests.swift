import Neuron
import NeuronNN
import Testing

@Suite struct LossTests {
    func f(_ name: String) -> Tensor { NNFixtures.f(name) }
    func optional(_ name: String) -> Tensor? { NNFixtures.all[name] }

    static let cases: [(String, (Tensor, Tensor, Tensor?, Tensor?) -> Tensor)] = [
        ("mse_mean", { x, y, _, _ in mseLoss(x, y) }),
        ("mse_sum", { x, y, _, _ in mseLoss(x, y, reduction: .sum) }),
        ("mse_none", { x, y, _, _ in mseLoss(x, y, reduction: .none) }),
        ("l1_mean", { x, y, _, _ in l1Loss(x, y) }),
        ("smooth_l1_beta", { x, y, _, _ in smoothL1Loss(x, y, beta: 0.5) }),
        ("huber_delta", { x, y, _, _ in huberLoss(x, y, delta: 0.7) }),
        ("ce_index", { x, y, _, _ in crossEntropy(x, y) }),
        ("ce_weight_ignore", { x, y, w, _ in crossEntropy(x, y, weight: w, ignoreIndex: 2) }),
        ("ce_smoothing", { x, y, _, _ in crossEntropy(x, y, labelSmoothing: 0.1) }),
        ("ce_smoothing_weight", { x, y, w, _ in crossEntropy(x, y, weight: w, labelSmoothing: 0.2) }),
        ("ce_prob", { x, y, _, _ in crossEntropy(x, y) }),
        ("ce_prob_smoothing_weight", { x, y, w, _ in crossEntropy(x, y, weight: w, labelSmoothing: 0.1) }),
        ("ce_sum", { x, y, _, _ in crossEntropy(x, y, reduction: .sum) }),
        ("ce_none", { x, y, _, _ in crossEntropy(x, y, reduction: .none) }),
        ("ce_4d", { x, y, _, _ in crossEntropy(x, y) }),
        ("nll_mean", { x, y, _, _ in nllLoss(x, y) }),
        ("nll_weight", { x, y, w, _ in nllLoss(x, y, weight: w, ignoreIndex: 0) }),
        ("bce_mean", { x, y, _, _ in binaryCrossEntropy(x, y) }),
        ("bce_weight", { x, y, w, _ in binaryCrossEntropy(x, y, weight: w) }),
        ("bce_none", { x, y, _, _ in binaryCrossEntropy(x, y, reduction: .none) }),
        ("bcelogits_mean", { x, y, _, _ in binaryCrossEntropyWithLogits(x, y) }),
        ("bcelogits_posweight", { x, y, w, pw in binaryCrossEntropyWithLogits(x, y, weight: w, positiveWeight: pw) }),
        ("bcelogits_sum", { x, y, _, _ in binaryCrossEntropyWithLogits(x, y, reduction: .sum) }),
        ("kl_batchmean", { x, y, _, _ in klDivergence(x, y, reduction: .batchMean) }),
        ("kl_mean", { x, y, _, _ in klDivergence(x, y) }),
        ("kl_sum_logtarget", { x, y, _, _ in klDivergence(x, y, reduction: .sum, logTarget: true) }),
        ("kl_zero_target", { x, y, _, _ in klDivergence(x, y, reduction: .batchMean) }),
    ]

    @Test(arguments: cases.indices)
    func matchesPyTorch(_ i: Int) {
        let (name, loss) = Self.cases[i]
        let x = f("\(name).x").requiringGrad(), y = f("\(name).y")
        let out = loss(x, y, optional("\(name).w"), optional("\(name).pw"))
        expectClose(out, f("\(name).out"), name)
        let scalar = optional("\(name).g").map { (out * $0).sum() } ?? out
        scalar.backward()
        expectClose(x.grad!, f("\(name).grad_x"), "\(name) grad_x")
    }

    @Test func lossesPassGradientChecks() {
        let target = randomInput([3, 4], seed: 9)
        let probabilities = randomInput([3, 4], seed: 10, low: 0.05, high: 0.95)
        let classes = Tensor([1, 0, 3])
        let weights = randomInput([4], seed: 12, low: 0.5, high: 2)
        expectGradients([randomInput([3, 4])], "mse") { mseLoss($0[0], target) }
        expectGradients([randomInput([3, 4])], "l1") { l1Loss($0[0], target) }
        expectGradients([randomInput([3, 4])], "smoothL1") { smoothL1Loss($0[0], target, beta: 0.8) }
        expectGradients([randomInput([3, 4])], "huber") { huberLoss($0[0], target, delta: 0.6) }
        expectGradients([randomInput([3, 4])], "crossEntropy") {
            crossEntropy($0[0], classes, weight: weights, labelSmoothing: 0.1)
        }
        expectGradients([randomInput([3, 4]), randomInput([3, 4], seed: 4)], "crossEntropy probabilities") {
            crossEntropy($0[0], $0[1].softmax(axis: 1), labelSmoothing: 0.2)
        }
        expectGradients([randomInput([3, 4])], "nll") { nllLoss($0[0].logSoftmax(axis: 1), classes, weight: weights) }
        expectGradients([randomInput([3, 4], low: 0.05, high: 0.95)], "bce") { binaryCrossEntropy($0[0], probabilities) }
        expectGradients([randomInput([3, 4])], "bceWithLogits") {
            binaryCrossEntropyWithLogits($0[0], probabilities, positiveWeight: weights)
        }
        expectGradients([randomInput([3, 4])], "kl") {
            klDivergence($0[0].logSoftmax(axis: 1), probabilities.softmax(axis: 1), reduction: .batchMean)
        }
    }
}
