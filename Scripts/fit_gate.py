#!/usr/bin/env python3
"""Fits the quality gate's score to LPIPS and validates it across sets.

Input: `tween eval --report` JSON files (RIFE v4.25 rows carry the gate's parts), grouped into
named sets on the command line:

    Scripts/fit_gate.py --fit ucf101 ucf101=ucf.json middlebury=mb.json clips-gap2=a.json,b.json ...

The model is log-linear, as the measurements behind issue #5 suggested:

    log(LPIPS) ≈ b0 + b1·log(p99 disagreement + 1e-3) + b2·log(sharpness) + b3·log(flow asymmetry + 0.05)

fitted by least squares on the --fit set only. The score is exp(−predicted LPIPS): in (0, 1],
higher is better, ≈ 1 − LPIPS for the small values of good frames, and it never saturates, so it
keeps ranking wrecks too. A score threshold s means a predicted LPIPS of −ln(s). Prints the coefficients (to paste into QualityGate.swift), Spearman ρ of each part and of
the score against LPIPS per set, and precision/recall of flagging the worst 10 % by LPIPS.
Only numpy is needed.
"""
import argparse
import json
import sys

import numpy as np

EPS_DISAGREEMENT = 1e-3
EPS_ASYMMETRY = 0.05


def load(paths):
    rows = []
    for file_index, path in enumerate(paths.split(",")):
        with open(path) as f:
            report = json.load(f)
        for row in report["rows"]:
            if "gate" in row and row["tween"]["lpips"] is not None:
                g = row["gate"]
                rows.append((g["disagreement_p99"], g["sharpness"], g["flow_asymmetry"], g["disagreement_median"],
                             row["tween"]["lpips"], file_index))
    if not rows:
        sys.exit(f"{paths}: no rows with gate parts and LPIPS")
    return np.array(rows, dtype=np.float64)


def features(data):
    return np.column_stack([np.ones(len(data)), np.log(data[:, 0] + EPS_DISAGREEMENT), np.log(data[:, 1]),
                            np.log(data[:, 2] + EPS_ASYMMETRY)])


def ranks(x):
    order = np.argsort(x, kind="mergesort")
    r = np.empty(len(x))
    r[order] = np.arange(len(x))
    # Average the ranks of ties.
    values = x[order]
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and values[j + 1] == values[i]:
            j += 1
        r[order[i:j + 1]] = (i + j) / 2
        i = j + 1
    return r


def spearman(a, b):
    ra, rb = ranks(np.asarray(a)), ranks(np.asarray(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def robust_z(predicted, files):
    """Robust z-score of the predicted LPIPS within each file (a video or a triplet set):
    (x − median) / (1.4826 · MAD), as QualityGate computes it against a video's own frames."""
    z = np.empty(len(predicted))
    badness = predicted
    for f in np.unique(files):
        x = badness[files == f]
        median = np.median(x)
        mad = np.median(np.abs(x - median)) * 1.4826
        z[files == f] = (x - median) / max(mad, 1e-4)
    return z


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fit", required=True, help="name of the set to fit on")
    parser.add_argument("--z", type=float, default=2.5, help="flag frames whose predicted LPIPS has a robust z-score above this")
    parser.add_argument("--floor", type=float, default=0.85, help="also flag frames scoring below this")
    parser.add_argument("sets", nargs="+", help="NAME=report.json[,report2.json…]")
    args = parser.parse_args()
    sets = {}
    for spec in args.sets:
        name, _, paths = spec.partition("=")
        sets[name] = load(paths)
    if args.fit not in sets:
        sys.exit(f"--fit {args.fit}: no such set")
    fit = sets[args.fit]
    coefficients, *_ = np.linalg.lstsq(features(fit), np.log(fit[:, 4]), rcond=None)
    print(f"fit on {args.fit} ({len(fit)} frames): log(LPIPS) = " + " + ".join(
        f"{c:.4f}·{n}" for c, n in zip(coefficients, ["1", "log(p99+1e-3)", "log(sharpness)", "log(asym+0.05)"])))
    print()
    print("| set | frames | ρ p99 | ρ sharpness | ρ asymmetry | ρ score | worst-10 % flagged: precision / recall (flags) | P = R at 10 % |")
    print("|---|---|---|---|---|---|---|---|")
    for name, data in sets.items():
        lpips = data[:, 4]
        predicted = np.exp(features(data) @ coefficients)
        score = np.exp(-predicted)
        worst = lpips >= np.quantile(lpips, 0.9)
        # As QualityGate flags: below the floor, or a relative outlier that is not negligible.
        flagged = ((robust_z(predicted, data[:, 5]) > args.z) & (predicted >= 0.02)) | (score < args.floor)
        tp = np.sum(worst & flagged)
        precision = tp / max(np.sum(flagged), 1)
        recall = tp / max(np.sum(worst), 1)
        k = max(int(round(0.1 * len(data))), 1)
        lowest = np.argsort(score)[:k]
        at_k = np.sum(worst[lowest]) / k
        tag = " (fit)" if name == args.fit else ""
        print(f"| {name}{tag} | {len(data)} | {spearman(data[:, 0], lpips):+.3f} | {spearman(data[:, 1], lpips):+.3f} | "
              f"{spearman(data[:, 2], lpips):+.3f} | {spearman(score, lpips):+.3f} | {precision:.2f} / {recall:.2f} "
              f"({int(np.sum(flagged))}) | {at_k:.2f} |")
    print()
    print("score = exp(−exp(" + " + ".join(f"{c:.6f}·x{i}" for i, c in enumerate(coefficients)) + "))")


if __name__ == "__main__":
    main()
