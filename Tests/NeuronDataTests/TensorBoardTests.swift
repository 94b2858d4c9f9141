import Neuron
import Testing

@testable import NeuronData
@testable import NeuronViz

@Suite struct TensorBoardTests {
    @Test func recordsMatchTensorBoardsOwnWriter() {
        let golden = DataFixtures.bytes("tensorboard_golden.bin")
        let ours =
            TensorBoardWriter.record(TensorBoardWriter.event(wallTime: 1.5, step: 0, fileVersion: "brain.Event:2"))
            + TensorBoardWriter.record(TensorBoardWriter.scalarEvent("loss/train", 0.25, step: 3, wallTime: 2.25))
            + TensorBoardWriter.record(
                TensorBoardWriter.imageEvent(
                    "img", png: [0x89] + Array("PNGfake".utf8), width: 3,
                    height: 2, channels: 1, step: 7, wallTime: 3))
        #expect(ours == golden)
    }

    @Test func crc32cMatchesTheStandardCheckValue() {
        #expect(TensorBoardWriter.crc32c(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test func writerCreatesAnEventFile() throws {
        let folder = temporaryDirectory() + "/tb"
        let writer = try TensorBoardWriter(directory: folder, wallTime: 100)
        try writer.scalar("loss", 0.5, step: 1, wallTime: 101)
        let grid = try ImageGrid.png(Tensor.uniform([4, 1, 5, 5]), columns: 2)
        try writer.image("samples", png: grid.bytes, width: grid.width, height: grid.height, channels: 3, step: 1)
        writer.flush()
        let bytes = try readFileBytes(writer.path)
        #expect(writer.path.hasPrefix(folder + "/events.out.tfevents.100."))
        #expect(Array(bytes.prefix(24 + 8)).count == 32 && bytes.count > 100)
    }

    @Test func plotsAndGridsAreValidImages() throws {
        let folder = temporaryDirectory()
        let charts = [
            Plot.Chart(
                title: "Loss", xLabel: "epoch", yLabel: "loss",
                series: [
                    Plot.Series("train", xs: [1, 2, 3], ys: [0.9, 0.5, 0.4]),
                    Plot.Series("test", xs: [1, 2, 3], ys: [1.0, 0.7, 0.6]),
                ])
        ]
        try Plot.write(charts, to: folder + "/c.png")
        try Plot.write(charts, to: folder + "/c.svg")
        let png = try readFileBytes(folder + "/c.png")
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let svg = String(decoding: try readFileBytes(folder + "/c.svg"), as: UTF8.self)
        #expect(svg.contains("<svg"))
        #expect(Plot.ticks(0, 1) == [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1])
        let grid = try ImageGrid.png(Tensor.uniform([5, 28, 28]), columns: 3, scale: 1)
        #expect(grid.width == 3 * 30 + 2 && grid.height == 2 * 30 + 2)
    }
}
