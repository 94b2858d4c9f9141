import Glibc
import Neuron
import NeuronData
import NeuronModels
import NeuronNN
import NeuronTrain

/// `--checkpoint FILE` and `--model NAME`: the classifier `evaluate` and `predict` load.
var classifierFileSpecs: [Options.Spec] {
    [
        .init(name: "checkpoint", value: "FILE", help: "model.safetensors, best.safetensors or checkpoint.safetensors"),
        .init(name: "model", value: "NAME", help: "architecture, for a file without metadata: \(classifierNames)"),
    ]
}

/// Loads a Fashion-MNIST classifier from a model file or a training checkpoint; the
/// architecture comes from the file's metadata unless `--model` names it.
func loadClassifier(_ options: Options, command: String) -> any Layer {
    let path = options.required("checkpoint")
    do {
        let (model, metadata) = try SavedModel.load(path, architecture: options.string("model"))
        guard ModelRegistry.entry(metadata["model"] ?? "")?.family == .classifier else {
            fail("\(command): \(path) holds a '\(metadata["model"] ?? "?")' model, not a Fashion-MNIST classifier (\(classifierNames))")
        }
        return model
    } catch {
        fail("\(command): \(error)")
    }
}

func runEvaluate(_ arguments: [String]) {
    let options = Options(
        command: "evaluate",
        specs: classifierFileSpecs + [fashionDataSpec, CommonOptions.device], arguments: arguments)
    let model = loadClassifier(options, command: "evaluate")
    model.to(CommonOptions.device(options, command: "evaluate"))
    do {
        let test = try FashionMNIST.load(.test, directory: options.string("data"), normalized: true)
        let loader = DataLoader(test, batchSize: 1000, prefetch: false)
        loader.device = model.device
        let outputs = noGrad { Tensor.concat(loader.batches(epoch: 0).map { model($0.inputs).to(.cpu) }) }
        let matrix = confusionMatrix(outputs: outputs, targets: test.targets, classes: 10)
        let correct = (0..<10).reduce(0) { $0 + matrix[$1][$1] }
        print("confusion matrix (rows: true class, columns: predicted class)")
        let header = (0..<10).map { pad(String($0), 5) }.joined()
        print(pad("", 14) + header)
        for (i, row) in matrix.enumerated() {
            print(pad(FashionMNIST.classNames[i], 14, left: false) + row.map { pad(String($0), 5) }.joined())
        }
        print("test_accuracy=\(formatFixed(Double(correct) / Double(test.count), 4))")
    } catch {
        fail("evaluate: \(error)")
    }
}

func pad(_ text: String, _ width: Int, left: Bool = true) -> String {
    let fill = String(repeating: " ", count: max(width - text.count, 0))
    return left ? fill + text : text + fill
}

func runPredict(_ arguments: [String]) {
    let options = Options(
        command: "predict",
        specs: classifierFileSpecs + [
            .init(name: "input", value: "X.npy", help: "images as float [N, 28, 28], [N, 1, 28, 28] or [N, 784] in [0, 1]"),
            .init(name: "output", value: "Y.npy", help: "where to write the logits, float32 [N, 10]"),
        ], arguments: arguments)
    let (inputPath, outputPath) = (options.required("input"), options.required("output"))
    let model = loadClassifier(options, command: "predict")
    do {
        let input = try NPY.read(inputPath)
        guard input.dtype.isFloatingPoint, input.count % 784 == 0, input.count > 0, input.shape.first.map({ input.count / $0 == 784 }) == true else {
            fail("predict: input of shape \(input.shape) and type \(input.dtype) is not a float batch of 28 × 28 images")
        }
        // Models are trained on standardised pixels; inputs come as [0, 1] like the dataset files.
        let images = FashionMNIST.normalize(input.to(.float32).reshaped([-1, 1, 28, 28]))
        let logits = noGrad { model(images) }
        try NPY.write(logits, to: outputPath)
        print("wrote \(outputPath): logits of shape \(logits.shape)")
    } catch {
        fail("predict: \(error)")
    }
}

/// The registry's image classifiers, for messages and help.
var classifierNames: String { ModelRegistry.names(in: [.classifier]).joined(separator: ", ") }
