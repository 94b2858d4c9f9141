// swift-tools-version:6.0
import PackageDescription

// Modules depend one way (each arrow: "imports"):
//   Neuron → CNeuronKernels, CNeuronCUDA   tensors, autograd, kernels; CUDA loaded at run time
//   NeuronNN → Neuron                  layers, losses, optimisers, schedules
//   NeuronData → Neuron                datasets, loaders, file formats (zlib)
//   NeuronModels → NeuronNN, NeuronData   architectures, the model registry, saved models
//   NeuronViz → NeuronData             plots, image grids, TensorBoard (cairo)
//   NeuronTrain → NeuronNN, NeuronData, NeuronViz   the training loop, steps, callbacks
//   NeuronBench, NeuronCLI → all of the above
//   NeuronCUDACheck → Neuron, NeuronNN, NeuronData, NeuronModels, NeuronBench   the GPU machine's check
//   CNeuronCUDAEmulator (no dependencies)   a CUDA driver and cuBLAS on the host, for tests
// No target uses unsafe flags: the C kernels pick their wide code (AVX2, AVX-512) at run
// time, so the package builds on any Linux and can be used as a versioned dependency.
// The CUDA backend's kernels, compiled by NVRTC on first use and embedded in the library.
let cudaKernelSources = [
    "prelude", "elementwise", "copy", "reduce", "index", "optim", "random", "conv", "pool", "norm", "recurrence",
]

let package = Package(
    name: "Neuron",
    products: [
        .library(name: "Neuron", targets: ["Neuron"]),
        .library(name: "NeuronNN", targets: ["NeuronNN"]),
        .library(name: "NeuronData", targets: ["NeuronData"]),
        .library(name: "NeuronModels", targets: ["NeuronModels"]),
        .library(name: "NeuronViz", targets: ["NeuronViz"]),
        .library(name: "NeuronTrain", targets: ["NeuronTrain"]),
        .library(name: "NeuronDistributed", targets: ["NeuronDistributed"]),
        .executable(name: "neuron", targets: ["NeuronCLI"]),
        .executable(name: "neuron-cuda-check", targets: ["NeuronCUDACheck"]),
        // Loaded as libcuda.so.1 and libcublas.so.13 by the tests on the emulated GPU (make test).
        .library(name: "NeuronCUDAEmulator", type: .dynamic, targets: ["CNeuronCUDAEmulator"]),
    ],
    targets: [
        .target(
            name: "CNeuronKernels",
            path: "Sources/CNeuronKernels",
            linkerSettings: [.linkedLibrary("dnnl"), .linkedLibrary("gomp"), .linkedLibrary("m")]
        ),
        .target(name: "CNeuronCUDA", path: "Sources/CNeuronCUDA", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "CNeuronCUDAEmulator", path: "Sources/CNeuronCUDAEmulator"),
        .target(
            name: "Neuron", dependencies: ["CNeuronKernels", "CNeuronCUDA"], path: "Sources/Neuron",
            resources: cudaKernelSources.map { .embedInCode("Backend/CUDA/Kernels/\($0).cu") }),
        .target(name: "NeuronNN", dependencies: ["Neuron"], path: "Sources/NeuronNN"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CCairo", path: "Sources/CCairo"),
        .target(name: "NeuronData", dependencies: ["Neuron", "CZlib"], path: "Sources/NeuronData"),
        .target(name: "NeuronModels", dependencies: ["Neuron", "NeuronNN", "NeuronData"], path: "Sources/NeuronModels"),
        .target(name: "CNeuronImage", path: "Sources/CNeuronImage", linkerSettings: [.linkedLibrary("jpeg")]),
        .target(name: "NeuronViz", dependencies: ["Neuron", "NeuronData", "CCairo", "CNeuronImage"], path: "Sources/NeuronViz"),
        .target(name: "NeuronTrain", dependencies: ["Neuron", "NeuronNN", "NeuronData", "NeuronViz"], path: "Sources/NeuronTrain"),
        .target(
            name: "NeuronDistributed", dependencies: ["Neuron", "NeuronNN", "NeuronData", "NeuronTrain"],
            path: "Sources/NeuronDistributed"),
        .target(
            name: "NeuronBench",
            dependencies: ["Neuron", "NeuronNN", "NeuronData", "NeuronModels", "NeuronTrain", "NeuronDistributed"],
            path: "Sources/NeuronBench"
        ),
        .executableTarget(
            name: "NeuronCLI",
            dependencies: [
                "Neuron", "NeuronNN", "NeuronData", "NeuronModels", "NeuronViz", "NeuronTrain", "NeuronDistributed", "NeuronBench",
            ],
            path: "Sources/NeuronCLI"
        ),
        // The CUDA backend against the CPU and PyTorch on a GPU machine (scripts/gpu-check.sh),
        // its model epochs through the benchmark's code.
        .executableTarget(
            name: "NeuronCUDACheck", dependencies: ["Neuron", "NeuronNN", "NeuronData", "NeuronModels", "NeuronBench"],
            path: "Sources/NeuronCUDACheck"),
        .testTarget(
            name: "NeuronNNTests",
            dependencies: ["Neuron", "NeuronNN", "NeuronData"],
            path: "Tests/NeuronNNTests",
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "NeuronDataTests",
            dependencies: ["Neuron", "NeuronNN", "NeuronData", "NeuronModels", "NeuronViz", "NeuronTrain"],
            path: "Tests/NeuronDataTests",
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "NeuronTrainTests",
            dependencies: ["Neuron", "NeuronNN", "NeuronData", "NeuronModels", "NeuronViz", "NeuronTrain", "NeuronDistributed"],
            path: "Tests/NeuronTrainTests",
            exclude: ["Fixtures"]
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
