import NeuronBench

let benchUsage = """
    usage: neuron bench <suite> [--data DIR] [--batches N]

    suites:
      ops     matmul_1024 (GFLOP/s), add_1x1_overhead (µs/op), mlp_step_overhead (µs/step),
              add_1M (GB/s)
      mlp, lenet, resnet20, lstm
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
    """

func runBench(_ arguments: [String]) {
    guard let suite = arguments.first else { fail("bench: missing suite; run `neuron bench --help`") }
    if suite == "--help" || suite == "-h" {
        print(benchUsage)
        return
    }
    let options = Options(command: "bench \(suite)", specs: [.init(name: "data", value: "DIR", help: "Fashion-MNIST folder"),
                                                               .init(name: "batches", value: "N", help: "batches to train")],
                          arguments: Array(arguments.dropFirst()))
    switch suite {
    case "ops":
        for result in OpsBench.run() { print(result.json) }
    case "mlp", "lenet", "resnet20", "lstm", "autoencoder", "gan":
        do { print(try ModelBench.run(suite, directory: options.string("data"), batches: options.int("batches", default: Int.max)).json) } catch { fail("bench: \(error)") }
    default:
        fail("bench: unknown suite '\(suite)'; run `neuron bench --help`")
    }
}
