#!/usr/bin/env python3
"""Regenerate the NeuronDataTests fixture files (see README.md in this folder).

Run from the repository root:

    .venv/bin/python Tests/NeuronDataTests/Fixtures/make_data_fixtures.py

Requires torch, numpy and safetensors. The output is deterministic: every run
produces byte-identical files (no random data, no timestamps: gzip mtime is 0,
zip entries are dated 1980-01-01 00:00:00, and the safetensors ``__metadata__``
object — which the Rust serializer emits in hash order — is rewritten with its
keys sorted).
"""

import gzip
import io
import json
import os
import struct
import zipfile

import numpy as np
import torch
import safetensors.numpy
import safetensors.torch

HERE = os.path.dirname(os.path.abspath(__file__))
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def path(name):
    return os.path.join(HERE, name)


# ---------------------------------------------------------------- safetensors

def canonicalize_safetensors_header(p):
    """Sort the keys of ``__metadata__`` so the file is byte-stable.

    safetensors serializes the metadata from a Rust HashMap, so the key order
    changes between runs. Reordering keys never changes the JSON length, so the
    8-byte header length prefix, the space padding and the data offsets stay
    exactly as safetensors wrote them.
    """
    with open(p, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    raw = data[8:8 + n]
    text = raw.rstrip(b" ")
    pad = raw[len(text):]
    header = json.loads(text)
    if "__metadata__" in header:
        header["__metadata__"] = dict(sorted(header["__metadata__"].items()))
    new = json.dumps(header, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    assert len(new) == len(text), (len(new), len(text))
    assert json.loads(new) == json.loads(text)
    with open(p, "wb") as f:
        f.write(data[:8] + new + pad + data[8 + n:])


def make_safetensors():
    tensors = {
        "f32": torch.arange(6, dtype=torch.float32).reshape(2, 3) / 4,
        "f64": torch.tensor([1.5, -2.25, 1e-300], dtype=torch.float64),
        "i64": torch.tensor([[-3, 4], [2 ** 40, -1]], dtype=torch.int64),
        "bool": torch.tensor([True, False, False, True], dtype=torch.bool),
        "f16": torch.tensor([0.5, -1.0, 65504.0], dtype=torch.float16),
        "bf16": torch.tensor([1.0, -3.5], dtype=torch.bfloat16),
        "i32": torch.tensor([7, -8], dtype=torch.int32),
        "u8": torch.tensor([0, 128, 255], dtype=torch.uint8),
        "scalar": torch.tensor(3.25, dtype=torch.float32),
        "empty": torch.zeros(0, 4, dtype=torch.float32),
    }
    p = path("python.safetensors")
    safetensors.torch.save_file(
        tensors, p, metadata={"format": "pt", "note": "written by python"})
    canonicalize_safetensors_header(p)
    back = safetensors.torch.load_file(p)
    assert set(back) == set(tensors)
    for k, v in tensors.items():
        assert back[k].dtype == v.dtype and back[k].shape == v.shape, k
        assert torch.equal(back[k], v), k

    arrays = {
        "weight": np.array([[1, 2], [3, 4]], dtype=np.float32),
        "bias": np.array([0.5, -0.5], dtype=np.float32),
    }
    p = path("python_numpy.safetensors")
    safetensors.numpy.save_file(arrays, p)
    canonicalize_safetensors_header(p)
    back = safetensors.numpy.load_file(p)
    for k, v in arrays.items():
        assert back[k].dtype == v.dtype and np.array_equal(back[k], v), k


# ---------------------------------------------------------------------- numpy

def make_npy():
    arrays = {
        "f32.npy": (np.arange(6, dtype=np.float32) * 0.5).reshape(2, 3),
        "f64.npy": np.array([0.1, 0.2, -0.3, 1e10], dtype=np.float64),
        "i64.npy": np.array([1, -2, 3], dtype=np.int64),
        "i32.npy": np.array([[1, 2], [3, 4]], dtype=np.int32),
        "u8.npy": np.array([[0, 1], [254, 255]], dtype=np.uint8),
        "bool.npy": np.array([True, False, True], dtype=np.bool_),
        "fortran.npy": np.asfortranarray(
            np.arange(6, dtype=np.float32).reshape(2, 3)),
        "scalar.npy": np.array(2.5, dtype=np.float64),
        "big_endian.npy": np.array([1.0, -2.0], dtype=">f4"),
    }
    for name, a in arrays.items():
        np.save(path(name), a)
        b = np.load(path(name))
        assert b.dtype == a.dtype and b.shape == a.shape and np.array_equal(a, b), name
    assert np.load(path("fortran.npy")).flags.f_contiguous

    v2 = np.array([1, 2], dtype=np.float32)
    with open(path("v2.npy"), "wb") as f:
        np.lib.format.write_array(f, v2, version=(2, 0))
    b = np.load(path("v2.npy"))
    assert b.dtype == v2.dtype and np.array_equal(b, v2)


def write_npz(p, arrays, compression):
    """Like numpy.savez / savez_compressed, but with fixed entry timestamps.

    Mirrors numpy's own writer: one '<name>.npy' entry per array, written via
    ZipFile.open(..., 'w', force_zip64=True) (so each local header carries a
    zip64 extra field and 0xFFFFFFFF in its 32-bit size fields), permissions
    0o600.
    """
    with zipfile.ZipFile(p, mode="w", compression=compression, allowZip64=True) as zf:
        for key, val in arrays.items():
            info = zipfile.ZipInfo(key + ".npy", date_time=ZIP_DATE)
            info.compress_type = compression
            info.external_attr = 0o600 << 16
            info.create_system = 3
            with zf.open(info, "w", force_zip64=True) as fid:
                np.lib.format.write_array(fid, np.asanyarray(val), allow_pickle=False)


def make_npz():
    arrays = {
        "x": np.array([[1, 2], [3, 4]], dtype=np.float32),
        "y": np.array([5, 6, 7], dtype=np.int64),
    }
    for name, compression, ref_writer in (
        ("arrays.npz", zipfile.ZIP_STORED, np.savez),
        ("arrays_compressed.npz", zipfile.ZIP_DEFLATED, np.savez_compressed),
    ):
        p = path(name)
        write_npz(p, arrays, compression)
        with np.load(p) as z:
            assert sorted(z.files) == ["x", "y"]
            for k, v in arrays.items():
                assert z[k].dtype == v.dtype and np.array_equal(z[k], v), (name, k)
        # The member payloads must equal what numpy itself writes.
        ref = io.BytesIO()
        ref_writer(ref, **arrays)
        ref.seek(0)
        with zipfile.ZipFile(ref) as rz, zipfile.ZipFile(p) as oz:
            assert rz.namelist() == oz.namelist() == ["x.npy", "y.npy"]
            for n in rz.namelist():
                assert rz.read(n) == oz.read(n), (name, n)
                assert rz.getinfo(n).compress_type == oz.getinfo(n).compress_type == compression


# ------------------------------------------------------------------------ IDX

def idx_bytes(type_code, dims, payload):
    header = struct.pack(">BBBB", 0, 0, type_code, len(dims))
    header += struct.pack(">" + "I" * len(dims), *dims)
    return header + payload


def write_gzip(p, data):
    # filename='' -> no FNAME field (flags byte 0, like the Fashion-MNIST files);
    # mtime=0 -> no timestamp.
    with open(p, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                           compresslevel=9) as g:
            g.write(data)


def make_idx():
    write_gzip(path("images.idx3-ubyte.gz"),
               idx_bytes(0x08, [3, 2, 3], bytes(range(18))))
    write_gzip(path("labels.idx1-ubyte.gz"),
               idx_bytes(0x08, [3], bytes([7, 0, 9])))
    write_gzip(path("floats.idx.gz"),
               idx_bytes(0x0D, [2, 2], struct.pack(">4f", 1.5, -2.0, 0.25, 8.0)))
    with open(path("plain.idx1-ubyte"), "wb") as f:
        f.write(idx_bytes(0x08, [4], bytes([1, 2, 3, 4])))

    with gzip.open(path("images.idx3-ubyte.gz"), "rb") as g:
        d = g.read()
    assert d[:4] == b"\x00\x00\x08\x03" and len(d) == 16 + 18


# ------------------------------------------------------------------------ CSV

CSV_TEXT = (
    "date,value,other\n"
    "2024-01-01,1.5,\"a\"\n"
    "\"2024-01-02\",2.25,\"1,5\"\n"
    "2024-01-03,-3,\n"
    "2024-01-04,4.75,plain\n"
    "2024-01-05,1000,\"x y\"\n"
)


def make_csv():
    with open(path("series.csv"), "wb") as f:
        f.write(CSV_TEXT.encode("ascii"))
    import csv
    with open(path("series.csv"), newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["date", "value", "other"] and len(rows) == 6
    assert rows[2] == ["2024-01-02", "2.25", "1,5"]
    assert rows[3] == ["2024-01-03", "-3", ""]


def main():
    make_safetensors()
    make_npy()
    make_npz()
    make_idx()
    make_csv()
    total = 0
    for name in sorted(os.listdir(HERE)):
        size = os.path.getsize(path(name))
        total += size
        print(f"{size:8d}  {name}")
    print(f"{total:8d}  total")


if __name__ == "__main__":
    main()
