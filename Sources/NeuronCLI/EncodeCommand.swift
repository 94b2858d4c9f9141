import Glibc
import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronTrain
import NeuronViz

/// `neuron encode`: the test set's codes from a trained autoencoder (a VAE's posterior means),
/// a scatter plot of them in 2-D (the codes themselves at latent 2, else their principal
/// components) coloured by class, and k-nearest-neighbour test accuracy on the codes next to
/// the same on a PCA projection of the raw pixels to as many dimensions.
func runEncode(_ arguments: [String]) {
    let options = Options(
        command: "encode",
        specs: [
            .init(name: "checkpoint", value: "FILE", help: "an autoencoder's model.safetensors (or best/checkpoint) from `neuron train`"),
            .init(name: "output", value: "CODES.npy", help: "where to write the test set's codes, float32 [10000, Z]"),
            .init(name: "plot", value: "FILE.png", help: "the 2-D scatter of the codes (default: next to the output, codes.png)"),
            .init(name: "neighbours", value: "K", help: "k of the nearest-neighbour comparison (default 5)"),
            fashionDataSpec,
        ], arguments: arguments)
    let path = options.required("checkpoint"), output = options.required("output")
    let k = options.int("neighbours", default: 5)
    do {
        let (model, metadata) = try SavedModel.load(path)
        let name = metadata["model"] ?? "?"
        guard let encoder = model as? CodeEncoder else {
            fail("encode: \(path) holds a '\(name)' model, not an autoencoder (\(SavedModel.autoencoders.joined(separator: ", ")))")
        }
        let train = try FashionMNIST.load(.train, directory: options.string("data"))
        let test = try FashionMNIST.load(.test, directory: options.string("data"))
        func codes(_ images: Tensor) -> Tensor {
            Tensor.concat(
                stride(from: 0, to: images.shape[0], by: 1000).map { start in
                    noGrad { encoder.codes(images.narrowed(axis: 0, start: start, length: min(1000, images.shape[0] - start))) }
                })
        }
        let testCodes = codes(test.inputs), trainCodes = codes(train.inputs)
        try NPY.write(testCodes.to(.float32), to: output)
        let dimensions = testCodes.shape[1]
        let labels = test.targets.toArray(Int.self), trainLabels = train.targets.toArray(Int.self)
        // The picture: 2-D codes as they are, otherwise their first two principal components.
        let planar = dimensions == 2 ? testCodes : PCA(trainCodes, components: 2).project(testCodes)
        let xy = planar.toArray(Double.self)
        let series = (0..<10).map { c in
            let rows = labels.indices.filter { labels[$0] == c }
            return Plot.Series(FashionMNIST.classNames[c], xs: rows.map { xy[2 * $0] }, ys: rows.map { xy[2 * $0 + 1] }, points: true)
        }
        let plotPath = options.string("plot") ?? (output.hasSuffix(".npy") ? String(output.dropLast(4)) + ".png" : output + ".png")
        let axes = dimensions == 2 ? ("code 1", "code 2") : ("principal component 1 of the codes", "principal component 2")
        try Plot.write(
            [Plot.Chart(title: "\(name) codes of the test set (\(dimensions)-D)", xLabel: axes.0, yLabel: axes.1, series: series)],
            to: plotPath, panelWidth: 760, height: 620)
        // Codes against PCA of the raw pixels at the same dimension, by k-NN test accuracy.
        let pixels = PCA(train.inputs.reshaped([train.count, -1]), components: dimensions)
        let pcaAccuracy = nearestNeighbourAccuracy(
            train: pixels.project(train.inputs.reshaped([train.count, -1])), trainLabels: trainLabels,
            test: pixels.project(test.inputs.reshaped([test.count, -1])), testLabels: labels, k: k)
        let codeAccuracy = nearestNeighbourAccuracy(train: trainCodes, trainLabels: trainLabels, test: testCodes, testLabels: labels, k: k)
        print("wrote \(output) (codes \(testCodes.shape)) and \(plotPath)")
        print("knn_accuracy_codes=\(formatFixed(codeAccuracy, 4)) knn_accuracy_pca=\(formatFixed(pcaAccuracy, 4)) (k=\(k), \(dimensions) dimensions)")
    } catch {
        fail("encode: \(error)")
    }
}
