import Neuron
import NeuronNN

/// The basic residual block: conv3×3-BN-ReLU-conv3×3-BN, plus the input (through a 1×1
/// conv + BN projection when the shape changes), then ReLU.
public final class BasicBlock: Module, Layer {
    public let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d
    public let shortcut: Sequential?

    public init(_ inputChannels: Int, _ outputChannels: Int, stride: Int = 1, generator: RandomGenerator = Random.generator) {
        conv1 = Conv2d(inputChannels, outputChannels, kernelSize: 3, stride: stride, padding: 1, bias: false, generator: generator)
        bn1 = BatchNorm2d(outputChannels)
        conv2 = Conv2d(outputChannels, outputChannels, kernelSize: 3, padding: 1, bias: false, generator: generator)
        bn2 = BatchNorm2d(outputChannels)
        shortcut =
            stride != 1 || inputChannels != outputChannels
            ? Sequential(
                Conv2d(inputChannels, outputChannels, kernelSize: 1, stride: stride, bias: false, generator: generator),
                BatchNorm2d(outputChannels))
            : nil
        super.init()
    }

    public func forward(_ input: Tensor) -> Tensor {
        let residual = bn2(conv2(bn1(conv1(input)).relu()))
        return (residual + (shortcut?(input) ?? input)).relu()
    }
}

/// ResNet-20 (He et al. 2016, CIFAR variant) for 1 × 28 × 28 images: a 3×3 stem with 16
/// channels, three stages of three basic blocks (16, 32, 64 channels; stride 2 at the start
/// of stages 2 and 3), global average pooling and a linear classifier. Names follow the
/// usual PyTorch layout: conv1, bn1, layer1.0.conv1, …, layer2.0.shortcut.0, fc.
public final class ResNet20: Module, Layer {
    public let conv1: Conv2d, bn1: BatchNorm2d
    public let layer1: [BasicBlock], layer2: [BasicBlock], layer3: [BasicBlock]
    public let fc: Linear

    public init(inputChannels: Int = 1, classes: Int = 10, generator: RandomGenerator = Random.generator) {
        conv1 = Conv2d(inputChannels, 16, kernelSize: 3, padding: 1, bias: false, generator: generator)
        bn1 = BatchNorm2d(16)
        func stage(_ input: Int, _ output: Int, stride: Int) -> [BasicBlock] {
            (0..<3).map { BasicBlock($0 == 0 ? input : output, output, stride: $0 == 0 ? stride : 1, generator: generator) }
        }
        layer1 = stage(16, 16, stride: 1)
        layer2 = stage(16, 32, stride: 2)
        layer3 = stage(32, 64, stride: 2)
        fc = Linear(64, classes, generator: generator)
        super.init()
        // He initialisation for the convolutions, as in the paper and torchvision's ResNets.
        for module in modules() {
            if let conv = module as? Conv2d { Init.kaimingNormal(conv.weight, mode: .fanOut, nonlinearity: .relu, generator: generator) }
        }
    }

    public func forward(_ input: Tensor) -> Tensor {
        var x = bn1(conv1(input)).relu()
        for block in layer1 + layer2 + layer3 { x = block(x) }
        return fc(x.adaptiveAvgPool2d((1, 1)).flattened(from: 1))
    }
}
