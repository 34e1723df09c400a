#!/usr/bin/env python3
"""Writes small valid inputs for each fuzz target into CORPUS/<target>/ (a seed corpus: libFuzzer
mutates from files that already pass the parsers' checks, so it reaches deep code quickly).

Checkpoints are built the way torch writes them, without torch: stand-in `torch` and
`torch._utils` modules make Python's pickler emit the same GLOBAL opcodes and persistent ids."""
import collections, io, json, os, pickle, struct, subprocess, sys, types, zipfile

corpus = sys.argv[1]

torch = types.ModuleType("torch")
utils = types.ModuleType("torch._utils")
def _rebuild_tensor_v2(*args): raise NotImplementedError
_rebuild_tensor_v2.__module__, _rebuild_tensor_v2.__qualname__ = "torch._utils", "_rebuild_tensor_v2"
class FloatStorage: pass
FloatStorage.__module__, FloatStorage.__qualname__ = "torch", "FloatStorage"
utils._rebuild_tensor_v2, torch.FloatStorage, torch._utils = _rebuild_tensor_v2, FloatStorage, utils
sys.modules["torch"], sys.modules["torch._utils"] = torch, utils

class Storage:
    def __init__(self, key, values): self.key, self.values = key, values

class Tensor:
    def __init__(self, storage, shape): self.storage, self.shape = storage, shape
    def __reduce__(self):
        stride, step = [], 1
        for d in reversed(self.shape): stride.insert(0, step); step *= d
        return (_rebuild_tensor_v2, (self.storage, 0, tuple(self.shape), tuple(stride), False, collections.OrderedDict()))

class Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        return ("storage", FloatStorage, obj.key, "cpu", len(obj.values)) if isinstance(obj, Storage) else None

def dumps(obj):
    out = io.BytesIO()
    Pickler(out, protocol=2).dump(obj)
    return out.getvalue()

def state(n):
    storages = [Storage(str(i), [0.5 * i + j for j in range(k)]) for i, k in enumerate([6, 2, 4][:n])]
    shapes = [[2, 3, 1, 1], [2], [1, 4]][:n]
    names = ["conv.weight", "conv.bias", "block0.x"][:n]
    return storages, collections.OrderedDict((name, Tensor(s, shape)) for name, s, shape in zip(names, storages, shapes))

def floats(values): return struct.pack("<%df" % len(values), *values)

def write(target, name, data):
    os.makedirs(os.path.join(corpus, target), exist_ok=True)
    with open(os.path.join(corpus, target, name), "wb") as f: f.write(data)

for n in (1, 2, 3):
    storages, sd = state(n)
    # zip format (torch >= 1.6): archive/data.pkl, byteorder, data/<key>, version
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", dumps(sd))
        z.writestr("archive/byteorder", "little")
        for s in storages: z.writestr("archive/data/" + s.key, floats(s.values))
        z.writestr("archive/version", "3\n")
    write("zip", "torch%d.pt" % n, buffer.getvalue())
    # legacy format: magic, protocol, sys_info, state dict, key list, then each storage (count + floats)
    legacy = dumps(0x1950A86A20F9469CFC6C) + dumps(1001) + dumps(
        {"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}})
    legacy += dumps(sd) + dumps([s.key for s in storages])
    for s in storages: legacy += struct.pack("<q", len(s.values)) + floats(s.values)
    write("pickle", "legacy%d.pkl" % n, legacy)
    # safetensors: 8-byte header length, JSON header, data
    header, offset, body = {}, 0, b""
    for (name, t), s in zip(sd.items(), storages):
        header[name] = {"dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * len(s.values)]}
        offset += 4 * len(s.values); body += floats(s.values)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header).encode()
    write("safetensors", "weights%d.safetensors" % n, struct.pack("<Q", len(text)) + text + body)

# PNGs of every colour type and depth libpng converts, and an interlaced one
for name, args in {"rgb": ["-pix_fmt", "rgb24"], "rgba": ["-pix_fmt", "rgba"], "gray16": ["-pix_fmt", "gray16be"],
                   "pal8": ["-pix_fmt", "pal8"], "mono": ["-pix_fmt", "monob"], "rgb48": ["-pix_fmt", "rgb48be"],
                   "interlaced": ["-pix_fmt", "rgb24", "-pred", "mixed"]}.items():
    path = os.path.join(corpus, "png", name + ".png")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=12x10", "-frames:v", "1", *args, path],
                   check=True)

# ffprobe reports: a plain clip, one with audio, subtitles and a rotation, and an odd rate
clips = os.path.join(corpus, "clips")
os.makedirs(clips, exist_ok=True)
def probe(name, make):
    path = os.path.join(clips, name)
    subprocess.run(["ffmpeg", "-v", "error", "-y", *make, path], check=True)
    report = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", path],
                            check=True, capture_output=True).stdout
    write("probe", name + ".json", report)
probe("plain.mp4", ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=30000/1001", "-frames:v", "3"])
probe("av.mkv", ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=25", "-f", "lavfi", "-i", "sine", "-frames:v", "3",
                 "-shortest", "-metadata:s:v", "rotate=90"])
