import NeuronBench

let benchUsage = """
    usage: neuron bench <suite>

    suites:
      ops     matmul_1024 (GFLOP/s), add_1x1_overhead (µs/op), mlp_step_overhead (µs/step),
              add_1M (GB/s)
    """

func runBench(_ arguments: [String]) {
    guard let suite = arguments.first else { fail("bench: missing suite; run `neuron bench --help`") }
    if suite == "--help" || suite == "-h" {
        print(benchUsage)
        return
    }
    if arguments.count > 1 { fail("bench: unexpected argument '\(arguments[1])'") }
    switch suite {
    case "ops":
        for result in OpsBench.run() { print(result.json) }
    case "mlp":
        do { print(try ModelBench.mlp().json) } catch { fail("bench: \(error)") }
    default:
        fail("bench: unknown suite '\(suite)'; run `neuron bench --help`")
    }
}
