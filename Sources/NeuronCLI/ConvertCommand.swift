import Glibc
import Neuron
import NeuronData

let convertUsage = """
    usage: neuron convert IN.pt|IN.pth OUT.safetensors

    Reads a PyTorch checkpoint written by torch.save (the zip or the legacy format) without
    running any of it, and writes its tensors as safetensors under their state-dict names (a
    nested checkpoint's names joined with dots). float16 and bfloat16 become float32, integers
    int64.
    """

/// `neuron convert IN.pth OUT.safetensors`: a PyTorch checkpoint to safetensors.
func runConvert(_ arguments: [String]) {
    if arguments.contains("--help") || arguments.contains("-h") {
        print(convertUsage)
        return
    }
    guard arguments.count == 2, !arguments.contains(where: { $0.hasPrefix("--") }) else {
        fail("convert: expected two files, IN.pt and OUT.safetensors; run `neuron convert --help`")
    }
    let (input, output) = (arguments[0], arguments[1])
    guard output.hasSuffix(".safetensors") else { fail("convert: the output must be a .safetensors file, got '\(output)'") }
    do {
        let tensors = try TorchCheckpoint.read(input)
        try SafeTensors.write(tensors, metadata: ["source": input], to: output)
        let values = tensors.values.reduce(0) { $0 + $1.count }
        print("wrote \(output): \(tensors.count) tensors, \(values) values")
    } catch {
        fail("convert: \(error)")
    }
}
