// swift-tools-version:6.0
import PackageDescription

// Kernels are compiled for x86-64-v3 (AVX2 + FMA), which every x86-64 server of the last decade has.
let kernelFlags: [CSetting] = [.unsafeFlags(["-O3", "-march=x86-64-v3", "-fno-math-errno", "-ffp-contract=fast"])]

let package = Package(
    name: "Neuron",
    products: [
        .library(name: "Neuron", targets: ["Neuron"]),
        .library(name: "NeuronNN", targets: ["NeuronNN"]),
        .library(name: "NeuronData", targets: ["NeuronData"]),
        .library(name: "NeuronModels", targets: ["NeuronModels"]),
        .library(name: "NeuronTrain", targets: ["NeuronTrain"]),
        .executable(name: "neuron", targets: ["NeuronCLI"]),
    ],
    targets: [
        .target(
            name: "CNeuronKernels",
            path: "Sources/CNeuronKernels",
            cSettings: kernelFlags,
            linkerSettings: [.linkedLibrary("dnnl"), .linkedLibrary("m"), .unsafeFlags(["-l:libgomp.so.1"])]
        ),
        .target(name: "Neuron", dependencies: ["CNeuronKernels"], path: "Sources/Neuron"),
        .target(name: "NeuronNN", dependencies: ["Neuron"], path: "Sources/NeuronNN"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CCairo", path: "Sources/CCairo"),
        .target(name: "NeuronData", dependencies: ["Neuron", "CNeuronKernels", "CZlib", "CCairo"], path: "Sources/NeuronData"),
        .target(name: "NeuronTrain", dependencies: ["Neuron", "NeuronNN", "NeuronData"], path: "Sources/NeuronTrain"),
        .target(name: "NeuronModels", dependencies: ["Neuron", "NeuronNN", "NeuronData", "NeuronTrain"], path: "Sources/NeuronModels"),
        .target(name: "NeuronBench", dependencies: ["Neuron", "NeuronNN", "NeuronData", "NeuronTrain", "NeuronModels"], path: "Sources/NeuronBench"),
        .executableTarget(
            name: "NeuronCLI",
            dependencies: ["Neuron", "NeuronNN", "NeuronData", "NeuronModels", "NeuronTrain", "NeuronBench"],
            path: "Sources/NeuronCLI"
        ),
        .testTarget(
            name: "NeuronNNTests",
            dependencies: ["Neuron", "NeuronNN", "NeuronData"],
            path: "Tests/NeuronNNTests",
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "NeuronDataTests",
            dependencies: ["Neuron", "NeuronNN", "NeuronData", "NeuronTrain", "NeuronModels"],
            path: "Tests/NeuronDataTests",
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "NeuronTrainTests",
            dependencies: ["Neuron", "NeuronNN", "NeuronData", "NeuronTrain", "NeuronModels"],
            path: "Tests/NeuronTrainTests"
        ),
        .testTarget(
            name: "NeuronTests",
            dependencies: ["Neuron", "NeuronData"],
            path: "Tests/NeuronTests",
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v5]
)
