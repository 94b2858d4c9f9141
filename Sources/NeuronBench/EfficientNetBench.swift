import Neuron
import NeuronModels

/// EfficientNet-Lite0 inference (evaluation mode, no gradients) on a batch of random 224 × 224
/// images, as `neuron classify` runs it: images/s, the median of `runs` batches after one
/// untimed batch.
public enum EfficientNetBench {
    public static func run(batch: Int = 32, size: Int = 224, runs: Int = 3) -> BenchResult {
        let model = EfficientNetLite0(generator: RandomGenerator(seed: 0))
        model.eval()
        let images = EfficientNetLite0.normalize(Tensor.uniform([batch, 3, size, size], generator: RandomGenerator(seed: 1)) * 255)
        let seconds = medianTime(runs: runs, warmup: 1) { _ = noGrad { model(images) } }
        return BenchResult(
            "efficientnet_lite0_inference", [("batch", Double(batch)), ("size", Double(size)), ("images_per_s", Double(batch) / seconds)])
    }
}
