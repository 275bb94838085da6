"""The torch port of musicnn vs the original (TensorFlow) on the same input.

    python -m training.musicnn_parity REF.npz [--write-fixture PATH]

REF.npz comes from ``training/musicnn_reference.py`` (run where TensorFlow is installed). Prints the max
absolute difference of pooled features (max_pool, mean_pool), penultimate layer, logits and tags per backbone.
``--write-fixture`` stores the first windows' input (float16-exact) and the reference outputs as the small file
tests/data/musicnn_reference.npz uses.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

OUTPUTS = ("max_pool", "mean_pool", "penultimate", "logits", "tags")


def port_outputs(x: np.ndarray, backbone: str) -> dict[str, np.ndarray]:
    """The torch port's outputs for musicnn inputs ``x`` (B, 187, 96)."""
    import torch

    from training.musicnn_convert import load_backbone

    net = load_backbone(backbone)
    with torch.inference_mode():
        out = net(torch.from_numpy(np.ascontiguousarray(x, np.float32)))
    result = {k: v.numpy() for k, v in out.items()}
    result["tags"] = 1 / (1 + np.exp(-result["logits"]))
    return result


def compare(ref: dict[str, np.ndarray], relative: bool = False) -> dict[str, dict[str, float]]:
    """{backbone: {output: max |port - reference|}} (``relative``: |diff| / max(1, |reference|))."""
    diffs = {}
    for backbone in ("msd", "mtt"):
        ours = port_outputs(ref["x"], backbone)
        diffs[backbone] = {}
        for k in OUTPUTS:
            expected = ref[f"{backbone}_{k}"]
            d = np.abs(ours[k] - expected)
            diffs[backbone][k] = float((d / np.maximum(1.0, np.abs(expected)) if relative else d).max())
    return diffs


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m training.musicnn_parity")
    p.add_argument("reference", type=Path)
    p.add_argument("--write-fixture", type=Path)
    p.add_argument("--fixture-windows", type=int, default=2)
    args = p.parse_args(argv)
    with np.load(args.reference) as data:
        ref = {k: data[k] for k in data.files}
    print(f"{len(ref['x'])} windows of musicnn input (187 x 96), value range {ref['x'].min():.3f}..{ref['x'].max():.3f}")
    worst = 0.0
    for backbone, d in compare(ref).items():
        print(f"{backbone} max |diff|: " + ", ".join(f"{k} {v:.2e}" for k, v in d.items()))
        worst = max(worst, *d.values())
    for backbone, d in compare(ref, relative=True).items():
        print(f"{backbone} max |diff| / max(1, |ref|): " + ", ".join(f"{k} {v:.2e}" for k, v in d.items()))
    print(f"max abs diff over everything: {worst:.2e} ({'OK' if worst <= 1e-4 else 'ABOVE 1e-4'})")
    if args.write_fixture:
        n = args.fixture_windows
        fixture = {"x": ref["x"][:n].astype(np.float16)}
        if not np.array_equal(fixture["x"].astype(np.float32), ref["x"][:n]):
            raise SystemExit("the reference input is not float16-exact: run the reference on float16 input")
        for k, v in ref.items():
            if k != "x":
                fixture[k] = v[:n].astype(np.float32)
        args.write_fixture.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(args.write_fixture, **fixture)
        print(f"wrote {args.write_fixture} ({args.write_fixture.stat().st_size / 1e3:.0f} kB)")
    return 0 if worst <= 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())
