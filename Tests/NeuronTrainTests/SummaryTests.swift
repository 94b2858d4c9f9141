import Neuron
import NeuronModels
import NeuronNN
import Testing

@Suite struct SummaryTests {
    @Test func lenetSummaryMatchesACountByHand() {
        let model = LeNet5()
        let summary = model.summary(input: Tensor.zeros([1, 1, 28, 28]))
        #expect(summary.totalParameters == 61_706 && summary.trainableParameters == 61_706 && summary.frozenParameters == 0)
        // Multiply-accumulates: output elements × inputs each one sums over.
        let conv1 = (6 * 28 * 28) * (1 * 5 * 5)
        let conv2 = (16 * 10 * 10) * (6 * 5 * 5)
        let linears = 400 * 120 + 120 * 84 + 84 * 10
        #expect(summary.multiplyAccumulates == conv1 + conv2 + linears)
        #expect(summary.multiplyAccumulates == 416_520)
        #expect(summary.rows.map { $0.name } == (0..<12).map(String.init))
        #expect(summary.rows[0].type == "Conv2d" && summary.rows[0].outputShape == [1, 6, 28, 28] && summary.rows[0].parameters == 156)
        #expect(summary.rows[0].multiplyAccumulates == conv1)
        #expect(summary.rows[6].type == "Flatten" && summary.rows[6].outputShape == [1, 400])
        #expect(summary.outputShape == [1, 10])
        let text = summary.description
        #expect(text.contains("Total parameters: 61,706") && text.contains("Multiply-accumulates per forward pass: 416,520"))
        // A batch multiplies the multiply-accumulates; frozen parameters are counted apart.
        model.layers[0].freeze()
        let batched = model.summary(input: Tensor.zeros([4, 1, 28, 28]))
        #expect(batched.multiplyAccumulates == 4 * 416_520 && batched.frozenParameters == 156)
        #expect(model.isTraining)
    }

    @Test func nestedBlocksCountTheirOwnWorkOnce() {
        let model = ResNet20()
        let summary = model.summary(input: Tensor.zeros([1, 1, 28, 28]))
        #expect(summary.totalParameters == model.parameters().reduce(0) { $0 + $1.count })
        #expect(summary.rows.reduce(0) { $0 + $1.multiplyAccumulates } == summary.multiplyAccumulates)
        #expect(summary.rows.reduce(0) { $0 + $1.parameters } == summary.totalParameters)
        let recurrent = RowLSTM().summary(input: Tensor.zeros([1, 28, 28]))
        #expect(recurrent.rows.contains { $0.type == "LSTM" && $0.outputShape == nil && $0.parameters > 0 })
    }
}
