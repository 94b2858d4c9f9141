#!/usr/bin/env python3
"""Compiles the CUDA kernel sources (prelude.cu + each file) with NVRTC for several GPU
architectures, failing on any error or warning, and checks in the PTX that every exported
kernel is present under its unmangled name with the parameter list the host passes.
No GPU is needed. Usage: nvrtc_check.py [folder with libnvrtc.so.13 and libnvrtc-builtins.so.13.0]
"""
import ctypes
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNELS = os.path.join(ROOT, "Sources", "Neuron", "Backend", "CUDA", "Kernels")
DEFAULT_LIB = os.path.join(ROOT, ".venv", "lib", "python3.11", "site-packages", "nvidia", "cu13", "lib")
ARCHS = ["sm_75", "sm_80", "sm_90"]


def kernels(names, signature):
    return {name: signature for name in names}


def cross(*groups):
    names = [""]
    for group in groups:
        names = [n + g for n in names for g in group]
    return names


# Parameter lists as the host passes them, one letter per parameter (PTX keeps sizes and
# float-ness, not signedness or pointer-ness): i = int or unsigned int, 8 = pointer, long long
# or unsigned long long, d = double, b = unsigned char, L = nk_layout (264 bytes, 8-aligned).
TYPES = ["f32", "f64", "i64", "u8"]
EXPECTED = {
    "elementwise.cu": {
        **kernels(["unary_f32", "unary_f64"], "i888dd"),
        **kernels(cross(["binary_"], ["f32", "f64", "i64"]) + cross(["compare_"], TYPES), "iL8888"),
        **kernels(cross(["where_"], ["1", "4", "8"]), "L88888"),
    },
    "copy.cu": {
        **kernels(cross(["copy_"], ["1", "4", "8"]), "L888"),
        **kernels(cross(["cast_"], [t + "_" for t in TYPES], TYPES), "888"),
        "fill_1": "88b", "fill_4": "88i", "fill_8": "888",
    },
    "reduce.cu": {
        **kernels(cross(["sum_rows_"], ["f32", "f64", "i64"]), "8888"),
        **kernels(cross(["sum_cols_"], ["f32", "f64", "i64"]), "88888"),
        **kernels(cross(["extreme_"], ["f32", "f64", "i64"]), "888888i"),
    },
    "index.cu": {
        **kernels(cross(["gather_"], ["1", "4", "8"]) + cross(["scatter_add_"], ["f32", "f64"]), "88888888"),
        **kernels(cross(["index_select_"], ["1", "4", "8"]) + cross(["index_add_"], ["f32", "f64"]), "88888888"),
        "one_hot": "88888",
    },
    "optim.cu": {
        **kernels(cross(["adam_"], ["f32", "f64"]), "888888dddddi8"),
        **kernels(cross(["sgd_"], ["f32", "f64"]), "8888ddddii"),
    },
    "random.cu": kernels(cross(["uniform_", "normal_", "bernoulli_"], ["f32", "f64"]), "8888dd"),
}

PTX_PARAM = {".u32": "i", ".s32": "i", ".b32": "i", ".u64": "8", ".s64": "8", ".b64": "8",
             ".f64": "d", ".u8": "b", ".s8": "b", ".b8": "b"}


def ptx_signatures(ptx):
    """Maps each .entry in the PTX to its parameter letters (see EXPECTED)."""
    signatures = {}
    for match in re.finditer(r"\.entry\s+([A-Za-z_][A-Za-z0-9_$]*)\s*\((.*?)\)", ptx, re.S):
        letters = ""
        for param in re.findall(r"\.param\s+([^,]*)", match.group(2)):
            array = re.search(r"\.align\s+(\d+)\s+\.b8\s+\S+\[(\d+)\]", param)
            if array:
                letters += "L" if (array.group(1), array.group(2)) == ("8", "264") else "?"
            else:
                kind = param.split()[0] if param.split() else ""
                letters += PTX_PARAM.get(kind, "?")
        signatures[match.group(1)] = letters
    return signatures


NVRTC_SUCCESS = 0


def load(folder):
    mode = ctypes.RTLD_GLOBAL
    ctypes.CDLL(os.path.join(folder, "libnvrtc-builtins.so.13.0"), mode=mode)
    lib = ctypes.CDLL(os.path.join(folder, "libnvrtc.so.13"), mode=mode)
    lib.nvrtcGetErrorString.restype = ctypes.c_char_p
    return lib


def check(lib, status, what):
    if status != NVRTC_SUCCESS:
        raise RuntimeError(f"{what}: {lib.nvrtcGetErrorString(status).decode()}")


def compile_source(lib, source, name, options, output):
    """Returns (ok, log, binary) where output is 'cubin' or 'ptx'."""
    program = ctypes.c_void_p()
    check(lib, lib.nvrtcCreateProgram(ctypes.byref(program), source.encode(), name.encode(),
                                      0, None, None), "nvrtcCreateProgram")
    try:
        argv = (ctypes.c_char_p * len(options))(*[o.encode() for o in options])
        status = lib.nvrtcCompileProgram(program, len(options), argv)
        size = ctypes.c_size_t()
        check(lib, lib.nvrtcGetProgramLogSize(program, ctypes.byref(size)), "nvrtcGetProgramLogSize")
        buffer = ctypes.create_string_buffer(size.value)
        check(lib, lib.nvrtcGetProgramLog(program, buffer), "nvrtcGetProgramLog")
        log = buffer.value.decode(errors="replace").strip()
        if status != NVRTC_SUCCESS:
            return False, log, None
        getter_size = lib.nvrtcGetCUBINSize if output == "cubin" else lib.nvrtcGetPTXSize
        getter = lib.nvrtcGetCUBIN if output == "cubin" else lib.nvrtcGetPTX
        check(lib, getter_size(program, ctypes.byref(size)), "get size")
        binary = ctypes.create_string_buffer(size.value)
        check(lib, getter(program, binary), "get output")
        return True, log, binary.raw
    finally:
        lib.nvrtcDestroyProgram(ctypes.byref(program))


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_LIB
    lib = load(folder)
    major, minor = ctypes.c_int(), ctypes.c_int()
    check(lib, lib.nvrtcVersion(ctypes.byref(major), ctypes.byref(minor)), "nvrtcVersion")
    print(f"NVRTC {major.value}.{minor.value} from {folder}")
    with open(os.path.join(KERNELS, "prelude.cu")) as f:
        prelude = f.read()
    present = sorted(f for f in os.listdir(KERNELS) if f.endswith(".cu") and f != "prelude.cu")
    failures = 0
    for missing in sorted(set(EXPECTED) - set(present)):
        print(f"MISSING FILE {missing}")
        failures += 1
    for file in present:
        with open(os.path.join(KERNELS, file)) as f:
            source = prelude + "\n" + f.read()
        # Each architecture as the host compiles it, and the newest once more with -lineinfo.
        builds = [(arch, []) for arch in ARCHS] + [(ARCHS[-1], ["-lineinfo"])]
        for arch, extra in builds:
            options = [f"--gpu-architecture={arch}", "-default-device", "--std=c++17"] + extra
            label = " ".join([arch] + extra)
            ok, log, cubin = compile_source(lib, source, file, options, "cubin")
            if not ok or log:  # any warning counts as a failure
                print(f"{'FAIL' if not ok else 'WARN'} {file} {label}\n{log}")
                failures += 1
            else:
                print(f"ok   {file} {label} ({len(cubin)} bytes cubin)")
        ok, log, ptx = compile_source(lib, source, file, ["--gpu-architecture=compute_90", "-default-device",
                                                          "--std=c++17"], "ptx")
        if not ok:
            print(f"FAIL {file} compute_90 PTX\n{log}")
            failures += 1
            continue
        signatures = ptx_signatures(ptx.decode(errors="replace"))
        expected = EXPECTED.get(file, {})
        missing = sorted(set(expected) - set(signatures))
        extra = sorted(set(signatures) - set(expected))
        wrong = sorted(k for k in set(expected) & set(signatures) if signatures[k] != expected[k])
        if missing:
            print(f"FAIL {file}: kernels missing from PTX: {', '.join(missing)}")
        if extra:
            print(f"FAIL {file}: unexpected kernels in PTX: {', '.join(extra)}")
        for name in wrong:
            print(f"FAIL {file}: {name} takes ({signatures[name]}), expected ({expected[name]})")
        if missing or extra or wrong:
            failures += 1
        else:
            print(f"ok   {file}: {len(signatures)} kernels, parameter lists as expected: {' '.join(sorted(signatures))}")
    print("FAILED" if failures else "all kernel files compile and export the expected names")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
