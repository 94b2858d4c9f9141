import Neuron
import Testing

@testable import NeuronNN

/// Learning-rate sequences against PyTorch's schedulers (25 steps each).
@Suite struct ScheduleTests {
    func f(_ name: String) -> Tensor { NNFixtures.f(name) }

    func sequence(_ scheduler: LRScheduler, momentum: Hyperparameter? = nil) -> ([Double], [Double]) {
        var rates: [Double] = [], momenta: [Double] = []
        for _ in 0..<25 {
            rates.append(scheduler.optimizer.parameterGroups[0].learningRate)
            if let momentum { momenta.append(scheduler.optimizer.parameterGroups[0][momentum]) }
            scheduler.step()
        }
        return (rates, momenta)
    }

    func optimizer(lr: Double = 0.1, momentum: Double = 0) -> SGD {
        SGD([Tensor.zeros([1]).requiringGrad()], lr: lr, momentum: momentum)
    }

    @Test func closedFormSchedulesMatchPyTorch() {
        let cases: [(String, LRScheduler)] = [
            ("step", StepLR(optimizer(), stepSize: 5, gamma: 0.3)),
            ("multistep", MultiStepLR(optimizer(), milestones: [3, 8, 15], gamma: 0.5)),
            ("exponential", ExponentialLR(optimizer(), gamma: 0.9)),
            ("cosine", CosineAnnealingLR(optimizer(), period: 10, minimum: 0.01)),
            ("warmup_cosine", LinearWarmup(CosineAnnealingLR(optimizer(), period: 20), warmupSteps: 5, startFactor: 0.1)),
        ]
        for (name, scheduler) in cases {
            expectClose(Tensor(sequence(scheduler).0, dtype: .float64), f("\(name).lr"), rtol: 1e-12, atol: 1e-15, name)
        }
    }

    @Test func oneCycleMatchesPyTorch() {
        let cosine = OneCycleLR(optimizer(momentum: 0.9), maxRate: 1, totalSteps: 25)
        let (rates, momenta) = sequence(cosine, momentum: .momentum)
        expectClose(Tensor(rates, dtype: .float64), f("onecycle.lr"), rtol: 1e-12, atol: 1e-15, "onecycle")
        expectClose(Tensor(momenta, dtype: .float64), f("onecycle.momentum"), rtol: 1e-12, "onecycle momentum")
        let linear = OneCycleLR(
            optimizer(momentum: 0.9), maxRate: 0.5, totalSteps: 25, warmupFraction: 0.4,
            annealing: .linear, threePhase: true)
        let (linearRates, linearMomenta) = sequence(linear, momentum: .momentum)
        expectClose(Tensor(linearRates, dtype: .float64), f("onecycle_linear.lr"), rtol: 1e-12, atol: 1e-15, "onecycle_linear")
        expectClose(Tensor(linearMomenta, dtype: .float64), f("onecycle_linear.momentum"), rtol: 1e-12, "onecycle_linear momentum")
    }

    @Test func reduceOnPlateauMatchesPyTorch() {
        let sgd = optimizer()
        let plateau = ReduceLROnPlateau(sgd, factor: 0.5, patience: 2, threshold: 1e-4, cooldown: 1, minimumRate: 0.01)
        var rates: [Double] = []
        for metric in f("plateau.metric").toArray(Double.self) {
            rates.append(sgd.parameterGroups[0].learningRate)
            plateau.step(metric: metric)
        }
        expectClose(Tensor(rates, dtype: .float64), f("plateau.lr"), rtol: 1e-12, "plateau")
    }
}
