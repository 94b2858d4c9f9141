#!/usr/bin/env bash
# Proves Neuron works as a versioned SwiftPM dependency: a copy of the repository's HEAD is
# tagged with the current version, a throwaway package depends on it through a local git URL
# with `from: "X.Y.Z"` (SwiftPM refuses unsafe build flags there), builds, and trains a small
# network until its loss falls. Also checks that the C kernels parse for 64-bit Arm.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
version=$(sed -n 's/.*public static let current = "\(.*\)".*/\1/p' Sources/Neuron/Core/Version.swift)
grep -q "^## \[$version\]" CHANGELOG.md || { echo "check-package: CHANGELOG.md has no section for $version" >&2; exit 1; }

work=$(mktemp -d /tmp/neuron-package.XXXXXX)
trap 'rm -rf "$work"' EXIT
git clone -q "$root" "$work/neuron"
# A tag of that version that came with the clone is replaced: the copy is of HEAD.
git -C "$work/neuron" -c user.name=check -c user.email=check@localhost tag -f -a "$version" -m "$version" >/dev/null

mkdir -p "$work/consumer/Sources/Consumer"
cat > "$work/consumer/Package.swift" <<SWIFT
// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Consumer",
    dependencies: [.package(url: "file://$work/neuron", from: "$version")],
    targets: [
        .executableTarget(
            name: "Consumer",
            dependencies: [
                .product(name: "Neuron", package: "neuron"),
                .product(name: "NeuronNN", package: "neuron"),
                .product(name: "NeuronData", package: "neuron"),
                .product(name: "NeuronModels", package: "neuron"),
                .product(name: "NeuronTrain", package: "neuron"),
                .product(name: "NeuronDistributed", package: "neuron"),
            ]
        )
    ]
)
SWIFT
cat > "$work/consumer/Sources/Consumer/main.swift" <<'SWIFT'
import Neuron
import NeuronData
import NeuronModels
import NeuronDistributed
import NeuronNN
import NeuronTrain

// A model of the consumer's own, registered by name, trained by the library's loop on two
// Gaussian blobs, saved, and rebuilt from its file's metadata.
extension ModelEntry {
    static let tinyMLP = ModelEntry.classifier("tiny-mlp", "784-32-2 perceptron", learningRate: 1e-3) { classes, generator in
        MLP(hidden: [32], outputs: classes, generator: generator)
    }
}

ModelRegistry.register(.tinyMLP)
Random.seed(0)
let generator = RandomGenerator(seed: 1)
let labels = Tensor((0..<512).map { $0 % 2 })
let inputs = Tensor.normal([512, 784], generator: generator) + labels.to(.float32).reshaped([512, 1]) * 0.5
let data = TensorDataset(inputs: inputs, targets: labels)
let model = try ModelRegistry.network("tiny-mlp", ["classes": "2"])
let trainer = Trainer(model: model, optimizer: Adam(model.parameters(), lr: 1e-3), loss: { crossEntropy($0, $1) })
// Without mpirun the job is a world of one: data-parallel training changes nothing.
let parallel = DataParallelTraining(trainer: trainer, communicator: try Communicator.world)
guard parallel.communicator.size == 1 else { fatalError("a world of one was expected") }
let before = try trainer.evaluate(DataLoader(data, batchSize: 256))["loss"]!
_ = try trainer.fit(train: DataLoader(data, batchSize: 64, shuffle: true), epochs: 3)
let after = try trainer.evaluate(DataLoader(data, batchSize: 256))["loss"]!
guard after < before * 0.5 else { fatalError("the loss did not fall: \(before) -> \(after)") }

let path = "tiny.safetensors"
try SafeTensors.write(model.stateDict(), metadata: ["model": "tiny-mlp", "classes": "2"], to: path)
let (reloaded, _) = try SavedModel.load(path)
model.eval()
let difference = noGrad { (reloaded(inputs) - model(inputs)).abs().max().item() }
guard difference == 0 else { fatalError("the reloaded model differs by \(difference)") }
print("neuron \(LibraryVersion.current) as a dependency: tiny-mlp loss \(before) -> \(after), reloaded from its metadata")
SWIFT
(cd "$work/consumer" && swift build -q && .build/debug/Consumer)

# The kernels must stay portable: every C file parses for 64-bit Arm (needs libc6-dev-arm64-cross).
for file in Sources/CNeuronKernels/*.c; do
    clang --target=aarch64-linux-gnu --sysroot=/usr/aarch64-linux-gnu -isystem /usr/aarch64-linux-gnu/include \
        -idirafter /usr/include -fsyntax-only -Wall -I Sources/CNeuronKernels/include "$file"
done
echo "check-package: the C kernels parse for aarch64-linux-gnu"
