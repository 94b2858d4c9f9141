import Glibc
import Neuron

/// `neuron`: the command-line tool. Errors print one line and exit with status 2.
let usage = """
    usage: neuron <command> [options]

    commands:
      train      train a model on a dataset, with checkpoints, logs and plots
      evaluate   test accuracy and confusion matrix of a saved model
      predict    run a saved model on a batch stored as .npy
      generate   sample text from a char-lstm model, or images from a VAE or a GAN
      encode     an autoencoder's codes of the test set, their scatter plot, k-NN vs PCA
      anomaly    one-class anomaly detection with an autoencoder: scores, ROC, AUROC
      finetune   transfer learning with few labels: digits from a Fashion-MNIST network, fortune topics with MiniLM
      embed      sentence embeddings with a pretrained sentence transformer (all-MiniLM-L6-v2)
      similarity the cosine similarity of two sentences' embeddings
      classify   the ImageNet classes in photos (PNG, JPEG) with a pretrained EfficientNet-Lite0
      convert    a PyTorch checkpoint (.pt/.pth, read without running it) to safetensors
      summary    a model's layers, output shapes, parameters and multiply-accumulates
      experiment one experiment of the guide per principle (docs/guide); --list names them
      bench      benchmarks (ops and models), one JSON object per line
      devices    the CPU and the CUDA devices found (or why there are none)

    Run `neuron <command> --help` for a command's options, `neuron --version` for the version.
    """

func fail(_ message: String) -> Never {
    fputs("neuron: \(processLabel)\(message)\n", stderr)
    Threads.finishWarmUp()
    exit(2)
}

// Line-buffered even into a pipe or file, so logs of long runs show each epoch as it ends.
setvbuf(stdout, nil, _IOLBF, 0)
var arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else { fail("missing command; run `neuron --help`") }
arguments.removeFirst()
joinJob(command: command, arguments: arguments)

switch command {
case "--help", "-h", "help": print(usage)
case "--version", "-V", "version": print("neuron \(LibraryVersion.current)")
case "train": runTrain(arguments)
case "evaluate": runEvaluate(arguments)
case "predict": runPredict(arguments)
case "generate": runGenerate(arguments)
case "summary": runSummary(arguments)
case "convert": runConvert(arguments)
case "classify": runClassify(arguments)
case "anomaly": runAnomaly(arguments)
case "encode": runEncode(arguments)
case "bench": runBench(arguments)
case "devices": runDevices(arguments)
case "experiment": runExperiment(arguments)
case "embed": runEmbed(arguments)
case "finetune": runFinetune(arguments)
case "similarity": runSimilarity(arguments)
default: fail("unknown command '\(command)'; run `neuron --help`")
}
Threads.finishWarmUp()
leaveJob()
