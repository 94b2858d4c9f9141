import Foundation
import Neuron

/// `neuron devices`: the CPU, and what CUDA support found (or, in one line, why there is none).
func runDevices(_ arguments: [String]) {
    let options = Options(
        command: "devices", specs: [], arguments: arguments,
        usage: """
            usage: neuron devices

            The CPU, then the CUDA devices. CUDA is loaded at run time: libcuda.so.1 from the driver;
            NVRTC (libnvrtc.so.13) and cuBLAS (libcublas.so.13) from NEURON_CUDA_LIBDIR, the NVIDIA
            pip wheels of a Python environment ($VIRTUAL_ENV, $CONDA_PREFIX, ./.venv, /opt/torch/.venv),
            or the loader's path.
            """)
    _ = options
    let cpuModel =
        (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n")
        .first { $0.hasPrefix("model name") }?.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "unknown"
    print("cpu: \(cpuModel), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(Threads.count) kernel threads")
    print(Device.cudaStatus)
    let folders = CUDALibraries.searchFolders
    print("searched: \(folders.isEmpty ? "(no Python environment with NVIDIA wheels)" : folders.joined(separator: ", ")), then the loader's path")
}
