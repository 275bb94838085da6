"""Convert the ``musicnn`` package's TensorFlow checkpoints to GenreLab's torch port (no TensorFlow needed).

    pip install --no-deps musicnn        # ships MSD_musicnn and MTT_musicnn checkpoints (ISC licence)
    python -m training.musicnn_convert   # -> resources/pretrained/musicnn_{msd,mtt}.npz + LICENSE-musicnn.md

The checkpoints are read by :mod:`training.tf_checkpoint` (numpy only); the result is a float32 state dict of
:class:`genrelab.model.musicnn.Musicnn` (about 3.2 MB each), checked by loading it into the port. Training loads
these files (:func:`load_backbone`); nothing downloads at run time.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from genrelab.model.musicnn import BACKBONES

LICENCE_NAME = "LICENSE-musicnn.md"


def pretrained_dir() -> Path:
    """Where the converted weights live (``resources/pretrained``; inside the bundle when frozen)."""
    from genrelab.model.registry import resources_dir

    return resources_dir() / "pretrained"


def weights_path(backbone: str) -> Path:
    return pretrained_dir() / f"musicnn_{backbone}.npz"


def package_dir() -> Path:
    """The installed ``musicnn`` package's folder (imported without running it: it imports TensorFlow)."""
    import importlib.util

    found = importlib.util.find_spec("musicnn")
    if found is None or not found.submodule_search_locations:
        raise SystemExit("musicnn is not installed: pip install --no-deps musicnn")
    return Path(list(found.submodule_search_locations)[0])


def convert(backbone: str, out: Path | None = None) -> Path:
    """Write the torch state dict of one backbone (``msd`` or ``mtt``) as .npz; returns its path."""
    from genrelab.model.musicnn import Musicnn, state_from_tf
    from training.tf_checkpoint import read_checkpoint

    variables = read_checkpoint(f"{package_dir() / BACKBONES[backbone]}/")
    state = state_from_tf(variables)
    net = Musicnn()
    missing = set(net.state_dict()) - set(state) - {k for k in net.state_dict() if k.endswith("num_batches_tracked")}
    if missing:
        raise SystemExit(f"checkpoint lacks {sorted(missing)[:4]}")
    net.load_state_dict({**net.state_dict(), **state})  # checks every shape
    out = out or weights_path(backbone)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, **{k: v.numpy() for k, v in state.items()})
    licence = package_dir().parent / "musicnn-0.1.0.dist-info" / "LICENSE.md"
    if licence.exists():
        (out.parent / LICENCE_NAME).write_text(
            "The musicnn_*.npz files here are the weights of the MSD_musicnn and MTT_musicnn models of the\n"
            "`musicnn` package (https://github.com/jordipons/musicnn), converted to torch by\n"
            "training/musicnn_convert.py. Their licence (ISC):\n\n" + licence.read_text(encoding="utf-8"),
            encoding="utf-8")
    return out


def load_backbone(backbone: str):
    """A :class:`Musicnn` with the converted weights of ``backbone`` (converting them first if absent)."""
    import torch

    from genrelab.model.musicnn import Musicnn

    path = weights_path(backbone)
    if not path.exists():
        convert(backbone)
    with np.load(path) as data:
        state = {k: torch.from_numpy(data[k]) for k in data.files}
    net = Musicnn()
    net.load_state_dict({**net.state_dict(), **state})
    return net.eval()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m training.musicnn_convert", description=__doc__.split("\n\n")[0])
    p.add_argument("--backbone", choices=[*BACKBONES, "all"], default="all")
    p.add_argument("--out", type=Path, default=None, help="folder (default resources/pretrained)")
    args = p.parse_args(argv)
    for b in BACKBONES if args.backbone == "all" else [args.backbone]:
        path = convert(b, args.out / f"musicnn_{b}.npz" if args.out else None)
        print(f"{b}: {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
