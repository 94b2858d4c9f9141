import Neuron
import Testing

@testable import NeuronNN

/// Ten steps on a fixed least-squares problem, against PyTorch's trajectories.
@Suite struct OptimizerTests {
    func f(_ name: String) -> Tensor { NNFixtures.f(name) }

    typealias Make = ([Tensor]) -> (Optimizer, LRScheduler?)

    static let cases: [(String, Make)] = [
        ("sgd", { (SGD($0, lr: 0.1), nil) }),
        ("sgd_momentum", { (SGD($0, lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01), nil) }),
        ("sgd_nesterov", { (SGD($0, lr: 0.05, momentum: 0.9, weightDecay: 0.001, nesterov: true), nil) }),
        ("adam", { (Adam($0, lr: 0.01), nil) }),
        ("adam_wd_amsgrad", { (Adam($0, lr: 0.02, betas: (0.8, 0.95), eps: 1e-6, weightDecay: 0.1, amsgrad: true), nil) }),
        ("adamw", { (AdamW($0, lr: 0.01, weightDecay: 0.05), nil) }),
        ("rmsprop", { (RMSprop($0, lr: 0.01), nil) }),
        ("rmsprop_centered_momentum", { (RMSprop($0, lr: 0.01, alpha: 0.9, weightDecay: 0.01, momentum: 0.5, centered: true), nil) }),
        ("adagrad", { (Adagrad($0, lr: 0.1, lrDecay: 0.01, weightDecay: 0.01, initialAccumulatorValue: 0.1), nil) }),
        (
            "groups",
            { p in
                (
                    SGD(
                        [ParameterGroup([p[0]]), ParameterGroup([p[1]], options: [.lr: 0.01, .weightDecay: 0.1])],
                        lr: 0.1, momentum: 0.9), nil
                )
            }
        ),
        (
            "sgd_steplr",
            { p in
                let optimizer = SGD(p, lr: 0.1, momentum: 0.9)
                return (optimizer, StepLR(optimizer, stepSize: 3, gamma: 0.5))
            }
        ),
        (
            "adam_cosine",
            { p in
                let optimizer = Adam(p, lr: 0.05)
                return (optimizer, CosineAnnealingLR(optimizer, period: 10, minimum: 0.001))
            }
        ),
    ]

    func run(
        _ optimizer: Optimizer, _ scheduler: LRScheduler?, _ w: Tensor, _ b: Tensor, steps: Range<Int>,
        record: (Int, Double) -> Void
    ) {
        let x = f("opt.X"), y = f("opt.Y")
        for step in steps {
            optimizer.zeroGrad()
            let loss = (x.matmul(w) + b - y).square().mean()
            loss.backward()
            optimizer.step()
            scheduler?.step()
            record(step, loss.item())
        }
    }

    @Test(arguments: cases.indices)
    func followsPyTorchTrajectory(_ i: Int) {
        let (name, make) = Self.cases[i]
        let w = f("opt.w0").copy().requiringGrad(), b = f("opt.b0").copy().requiringGrad()
        let (optimizer, scheduler) = make([w, b])
        run(optimizer, scheduler, w, b, steps: 0..<10) { step, loss in
            expectClose(Tensor(loss, dtype: .float64), f("\(name).loss")[step], rtol: 1e-9, "\(name) loss \(step)")
            expectClose(w, f("\(name).w")[step], rtol: 1e-9, atol: 1e-12, "\(name) w after step \(step + 1)")
            expectClose(b, f("\(name).b")[step], rtol: 1e-9, atol: 1e-12, "\(name) b after step \(step + 1)")
        }
    }

    @Test(arguments: cases.indices)
    func resumesExactlyFromItsStateDict(_ i: Int) throws {
        let (name, make) = Self.cases[i]
        let w = f("opt.w0").copy().requiringGrad(), b = f("opt.b0").copy().requiringGrad()
        let (optimizer, scheduler) = make([w, b])
        run(optimizer, scheduler, w, b, steps: 0..<4) { _, _ in }
        let saved = optimizer.stateDict(), savedSchedule = scheduler?.stateDict()
        let w2 = w.copy().detach().requiringGrad(), b2 = b.copy().detach().requiringGrad()
        let (resumed, resumedSchedule) = make([w2, b2])
        try resumed.load(stateDict: saved)
        if let savedSchedule { resumedSchedule?.load(stateDict: savedSchedule) }
        run(resumed, resumedSchedule, w2, b2, steps: 4..<10) { _, _ in }
        expectClose(w2, f("\(name).w")[9], rtol: 1e-9, "\(name) resumed w")
        expectClose(b2, f("\(name).b")[9], rtol: 1e-9, "\(name) resumed b")
    }

    @Test func frozenParametersGetNoGradientUpdateOrState() {
        let model = Sequential(Linear(3, 4), ReLU(), Linear(4, 2))
        (model[0] as! Linear).freeze()
        let optimizer = Adam(model.parameters(), lr: 0.1)
        let frozen = (model[0] as! Linear).weight.copy().detach()
        let trained = (model[2] as! Linear).weight.copy().detach()
        for _ in 0..<3 {
            optimizer.zeroGrad()
            model(Tensor.normal([5, 3])).square().mean().backward()
            optimizer.step()
        }
        let first = model[0] as! Linear, last = model[2] as! Linear
        #expect(first.weight.grad == nil && first.bias!.grad == nil)
        #expect(first.weight.toArray(Float.self) == frozen.toArray(Float.self))
        #expect(last.weight.toArray(Float.self) != trained.toArray(Float.self))
        #expect(optimizer.state[0] == nil && optimizer.state[1] == nil && optimizer.state[2] != nil)
        first.unfreeze()
        #expect(first.weight.requiresGrad)
    }

    @Test func clippingByNormAndValue() {
        let a = Tensor([3, 0], dtype: .float64).requiringGrad(), b = Tensor([4], dtype: .float64).requiringGrad()
        (a.sum() * 0 + (a * Tensor([3, 0], dtype: .float64)).sum() + (b * 4).sum()).backward()
        let norm = clipGradNorm([a, b], maxNorm: 1)
        #expect(abs(norm - 5) < 1e-12)
        expectClose(a.grad!, Tensor([0.6, 0], dtype: .float64), rtol: 1e-6)
        expectClose(b.grad!, Tensor([0.8], dtype: .float64), rtol: 1e-6)
        clipGradValue([a, b], clipValue: 0.7)
        expectClose(b.grad!, Tensor([0.7], dtype: .float64))
        #expect(clipGradNorm([a, b], maxNorm: 10) < 10)
    }
}

extension OptimizerTests {
    /// Float32 parameters take the fused single-pass Adam kernel; it must follow PyTorch too.
    @Test(arguments: ["adam", "adam_wd_amsgrad", "adamw"])
    func fusedFloat32AdamFollowsPyTorch(_ name: String) {
        let make = Self.cases.first { $0.0 == name }!.1
        let w = f("opt.w0").to(.float32).requiringGrad(), b = f("opt.b0").to(.float32).requiringGrad()
        let (optimizer, _) = make([w, b])
        let x = f("opt.X").to(.float32), y = f("opt.Y").to(.float32)
        for step in 0..<10 {
            optimizer.zeroGrad()
            (x.matmul(w) + b - y).square().mean().backward()
            optimizer.step()
            expectClose(w, f("\(name).w")[step], rtol: 2e-5, atol: 2e-6, "\(name) float32 w step \(step + 1)")
            expectClose(b, f("\(name).b")[step], rtol: 2e-5, atol: 2e-6, "\(name) float32 b step \(step + 1)")
        }
    }
}

extension OptimizerTests {
    /// The one-pass update of all of a group's float32 parameters (shares that cross tensor
    /// boundaries) gives the same bits as updating each parameter alone, with per-parameter
    /// step counts that differ (one parameter has no gradient on the first step).
    @Test(arguments: [false, true])
    func manyTensorAdamMatchesOneTensorAtATime(_ amsgrad: Bool) {
        let generator = RandomGenerator(seed: 11)
        let shapes = [[300, 70], [7], [20_001], [128, 129], [1]]
        let starts = shapes.map { Tensor.normal($0, generator: generator) }
        let together = starts.map { $0.copy().requiringGrad() }, alone = starts.map { $0.copy().requiringGrad() }
        let joint = Adam(together, lr: 0.01, weightDecay: 0.05, amsgrad: amsgrad)
        let separate = alone.map { Adam([$0], lr: 0.01, weightDecay: 0.05, amsgrad: amsgrad) }
        for step in 0..<4 {
            joint.zeroGrad()
            for optimizer in separate { optimizer.zeroGrad() }
            for (i, (a, b)) in zip(together, alone).enumerated() where !(step == 0 && i == 2) {
                let grad = Tensor.normal(a.shape, generator: generator)
                a.grad = grad
                b.grad = grad.copy()
            }
            joint.step()
            for optimizer in separate { optimizer.step() }
            for (a, b) in zip(together, alone) {
                #expect(a.detach().toArray(Float.self) == b.detach().toArray(Float.self), "step \(step + 1), shape \(a.shape)")
            }
        }
        #expect(joint.steps[2] == 3 && joint.steps[0] == 4)
    }
}

extension OptimizerTests {
    /// Typed hyperparameters keep PyTorch's names in state dicts, and a round trip restores them.
    @Test func stateDictKeepsPyTorchHyperparameterNames() throws {
        let w = Tensor.zeros([2]).requiringGrad(), b = Tensor.zeros([1]).requiringGrad()
        let adam = Adam(
            [ParameterGroup([w]), ParameterGroup([b], options: [.lr: 1e-4, .beta1: 0.5])],
            lr: 1e-3, weightDecay: 0.01, amsgrad: true)
        let saved = adam.stateDict()
        let names = ["lr", "beta1", "beta2", "eps", "weight_decay", "amsgrad"]
        #expect(Set(saved.keys) == Set((0..<2).flatMap { g in names.map { "param_groups.\(g).\($0)" } }))
        #expect(saved["param_groups.1.lr"]!.item() == 1e-4 && saved["param_groups.1.beta1"]!.dtype == .float64)
        var edited = saved
        edited["param_groups.0.weight_decay"] = Tensor(0.25, dtype: .float64)
        edited["param_groups.0.custom_knob"] = Tensor(3, dtype: .float64)
        let restored = Adam([ParameterGroup([w]), ParameterGroup([b])], lr: 0.1)
        try restored.load(stateDict: edited)
        let groups = restored.parameterGroups
        #expect(groups[0].weightDecay == 0.25 && groups[0][.amsgrad] == 1 && groups[0].learningRate == 1e-3)
        #expect(groups[1].learningRate == 1e-4 && groups[1][.beta1] == 0.5 && groups[1][.beta2] == 0.999)
        #expect(groups[0][Hyperparameter(rawValue: "custom_knob")] == 3)
        #expect(Set(restored.stateDict().keys) == Set(edited.keys))
    }

    @Test func hyperparameterNamesAreTorchs() {
        let keys: [Hyperparameter] = [
            .lr, .weightDecay, .momentum, .dampening, .nesterov, .beta1, .beta2, .eps,
            .amsgrad, .alpha, .centered, .lrDecay, .initialAccumulatorValue,
        ]
        #expect(
            keys.map(\.rawValue) == [
                "lr", "weight_decay", "momentum", "dampening", "nesterov", "beta1", "beta2",
                "eps", "amsgrad", "alpha", "centered", "lr_decay", "initial_accumulator_value",
            ])
        #expect("\(Hyperparameter.weightDecay)" == "weight_decay")
        var group = ParameterGroup([], options: [.lr: 0.1])
        group.momentum = 0.9
        #expect(group.options == [.lr: 0.1, .momentum: 0.9] && group[.momentum] == 0.9)
    }

    @Test func missingHyperparameterNamesItAndTheOptimizer() async throws {
        let result = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = SGD([Tensor.zeros([1]).requiringGrad()], lr: 0.1).parameterGroups[0][.beta1]
        }
        let message = String(decoding: result.standardErrorContent, as: UTF8.self)
        #expect(message.contains("SGD: no hyperparameter 'beta1' in parameter group (it has: dampening, lr, momentum"))
    }
}
