"""Entry point of the frozen GenreLab (``dist/genrelab/genrelab``, built by ``packaging/build_frozen.sh``).

The same ``genrelab`` command as a pip install, less what only the ``train`` extra brings: torch, torchvision,
scikit-learn, matplotlib and onnx are left out of the bundle (and most of scipy), so the training commands
(``train``, ``experiment``, ``evaluate``, ``synth``) say in one line how to get a Python install that has them
instead of ending in a traceback.
"""

from __future__ import annotations

import multiprocessing
import sys

#: Top-level modules that only the `train` extra installs (none of them is in the bundle).
TRAIN_ONLY = frozenset({"torch", "torchvision", "sklearn", "matplotlib", "onnx", "onnxscript", "PIL"})

TRAIN_HELP = (
    "this needs the `train` extra (torch), which the desktop build leaves out: "
    "use a Python install instead, e.g. in a GenreLab checkout `packaging/bootstrap.sh test` "
    "(or `python3 -m venv .venv && .venv/bin/pip install -e '.[train]'`), then `.venv/bin/genrelab ...`"
)


def main() -> int:
    """Run ``genrelab`` with ``sys.argv``; a missing training-only module is one line, not a traceback."""
    multiprocessing.freeze_support()
    from genrelab.cli import main as cli_main

    try:
        return cli_main()
    except ModuleNotFoundError as exc:
        name = exc.name or ""
        if name.split(".")[0] in TRAIN_ONLY:
            print(f"error: {TRAIN_HELP} (missing module: {name})", file=sys.stderr)
        else:  # e.g. scipy.signal, left out to keep the bundle small: only an unusual model card asks for it
            print(f"error: the desktop build leaves out {name}, which this needs: use a Python install "
                  "(in a GenreLab checkout: packaging/bootstrap.sh app)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
