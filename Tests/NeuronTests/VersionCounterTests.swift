import Foundation
import Neuron
import Testing

@Suite struct VersionCounterTests {
    @Test func inPlaceWritesBumpTheVersionOfEveryView() {
        let t = Tensor.zeros([4])
        let view = t[1..<3]
        #expect(t.version == 0)
        noGrad { view.fill(1) }
        #expect(t.version == 1 && view.version == 1)
        noGrad { t.assign(Tensor.ones([4])) }
        #expect(view.version == 2)
    }

    /// An optimiser step between forward and backward changes a saved tensor: backward stops
    /// and names the op, instead of differentiating with the new values.
    @Test func backwardStopsOnATensorChangedAfterItWasSaved() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let w = Tensor.ones([3]).requiringGrad()
            let loss = (w * Tensor([1, 2, 3])).sum()
            noGrad { w.assign(w * 2) }  // what optimizer.step() does
            loss.backward()
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("of mul") && message.contains("modified in place"), "\(message)")
    }

    /// The classic GAN mistake: the discriminator is updated, then the generator's loss, computed
    /// through the discriminator before that update, is back-propagated.
    @Test func aGANStepInTheWrongOrderStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let generatorWeight = Tensor.normal([2, 2]).requiringGrad()
            let discriminatorWeight = Tensor.normal([2, 1]).requiringGrad()
            let fake = Tensor.normal([4, 2]).matmul(generatorWeight)
            let generatorLoss = fake.matmul(discriminatorWeight).mean()
            let discriminatorLoss = fake.detach().matmul(discriminatorWeight).mean()
            discriminatorLoss.backward()
            noGrad { discriminatorWeight.assign(discriminatorWeight - discriminatorWeight.grad! * 0.1) }
            generatorLoss.backward()
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("of matmul") && message.contains("modified in place"), "\(message)")
    }
}
