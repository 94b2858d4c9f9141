import Neuron
import NeuronBench
import NeuronData
import NeuronModels

var benchUsage: String {
    """
    usage: neuron bench <suite> [--data DIR] [--batches N]

    suites:
      ops     matmul_1024 (GFLOP/s), add_1x1_overhead (µs/op), mlp_step_overhead (µs/step),
              add_1M (GB/s)
      \(ModelRegistry.names(in: [.classifier]).joined(separator: ", "))
              one training epoch of the model on Fashion-MNIST (batch 64, Adam 1e-3):
              samples/s, seconds and test accuracy; --batches N stops the epoch after
              N batches (a quicker, noisier figure)
      autoencoder
              the dense autoencoder 784-128-32-128-784 on raw pixels, one epoch, MSE, Adam
              1e-3, batch 64: samples/s, seconds and test MSE
      gan     the MLP GAN (G 64-256-512-784, D 784-512-256-1) through `neuron train`'s
              adversarial step, batch 64, Adam 2e-4 (0.5, 0.999), one D and one G update per
              batch: samples/s, seconds and the last discriminator loss (--batches 300 as
              the peers' benchmark)
      bert-finetune
              training steps of `neuron finetune --task text-topics --mode finetune`:
              all-MiniLM-L6-v2 and a linear head, AdamW, 16 fortunes per batch, at most 128
              tokens; --batches N timed steps (default 30) after 3 untimed ones; --model-dir,
              --text-dir as for finetune: samples/s and tokens per batch
      efficientnet
              EfficientNet-Lite0 inference on 32 random 224 × 224 images (as `neuron classify`
              runs it): images/s, the median of 3 batches
      allreduce
              under mpirun: the sum over the processes of float32 buffers of 4 KB to 64 MB
              (median µs, and the bus bandwidth 2(N−1)/N × bytes ÷ time in GB/s)

    The CPU kernels run at the widest vector level the processor has (AVX-512, AVX2 or the
    baseline); NEURON_CPU_ISA=avx2 (or baseline) measures a narrower one, oneDNN's included.
    Each result names its level ("kernels").
    """
}

func runBench(_ arguments: [String]) {
    guard let suite = arguments.first else { fail("bench: missing suite; run `neuron bench --help`") }
    if suite == "--help" || suite == "-h" {
        print(benchUsage)
        return
    }
    let options = Options(
        command: "bench \(suite)",
        specs: [
            fashionDataSpec,
            .init(name: "batches", value: "N", help: "batches to train"),
            .init(name: "model-dir", value: "DIR", help: "MiniLM folder"),
            .init(name: "text-dir", value: "DIR", help: "fortunes folder"),
            CommonOptions.device, CommonOptions.noGraphs,
            .init(name: "autocast", value: nil, help: "GEMMs and convolutions in bfloat16 on a GPU (autocast)"),
        ],
        arguments: Array(arguments.dropFirst()))
    switch suite {
    case "ops":
        for result in OpsBench.run() { print(result.json) }
    case _ where ModelBench.models.contains(suite):
        let device = CommonOptions.device(options, command: "bench \(suite)")
        Threads.startWarmUp()  // as `neuron train` does
        do {
            print(
                try ModelBench.run(
                    suite, directory: options.string("data"), batches: options.int("batches", default: Int.max), device: device,
                    graphs: !options.flag("no-graphs"), autocast: options.flag("autocast")
                ).json)
        } catch {
            fail("bench: \(error)")
        }
    case "efficientnet":
        print(EfficientNetBench.run().json)
    case "allreduce":
        guard let job, job.size > 1 else { fail("bench: allreduce needs several processes: run it under mpirun -np N") }
        for result in AllReduceBench.run(job) { print(result.json) }
    case "bert-finetune":
        do {
            print(
                try FinetuneBench.run(
                    modelDirectory: options.string("model-dir") ?? SentenceEncoder.defaultDirectory,
                    textDirectory: options.string("text-dir") ?? FortuneTopics.defaultDirectory,
                    steps: options.int("batches", default: 30)
                ).json)
        } catch { fail("bench: \(error)") }
    default:
        fail("bench: unknown suite '\(suite)'; run `neuron bench --help`")
    }
}
