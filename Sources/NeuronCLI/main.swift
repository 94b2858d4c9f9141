import Glibc
import NeuronBench

/// `neuron`: the command-line tool. Errors print one line and exit with status 2.
let usage = """
    usage: neuron <command> [options]

    commands:
      bench ops     micro-benchmarks of the tensor core (one JSON object per line)

    Run `neuron <command> --help` for a command's options.
    """

func fail(_ message: String) -> Never {
    fputs("neuron: \(message)\n", stderr)
    exit(2)
}

var arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else { fail("missing command; run `neuron --help`") }
arguments.removeFirst()

switch command {
case "--help", "-h", "help":
    print(usage)
case "bench":
    runBench(arguments)
default:
    fail("unknown command '\(command)'; run `neuron --help`")
}
