"""Where models live: the shipped ones in ``resources/models``, the user's own in the platform data folder."""

from __future__ import annotations

import os
from pathlib import Path

from genrelab.errors import ModelError

#: The default shipped model: the best valid track accuracy among the shipped models that analyse a 4-minute
#: track at hop 0.5 s in <= 3 s on a 2-core CPU (training/reports/README.md says which and why).
SHIPPED_NAME = "genrelab-musicnn-msd.onnx"
ENV_MODEL = "GENRELAB_MODEL"


def resources_dir() -> Path:
    """The ``resources/`` folder (beside the package in a checkout; inside the bundle when frozen)."""
    import sys

    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def demo_track_path() -> Path:
    """The generated demo track shipped in ``resources/demo`` (made by ``packaging/make_demo.py``)."""
    return resources_dir() / "demo" / "genrelab-demo.flac"


def shipped_models_dir() -> Path:
    return resources_dir() / "models"


def shipped_model_path() -> Path:
    """The default shipped model (``resources/models/`` + :data:`SHIPPED_NAME`)."""
    return shipped_models_dir() / SHIPPED_NAME


def shipped_models() -> list[Path]:
    """Every shipped model file (``resources/models/*.onnx``), the default first, then by name."""
    folder = shipped_models_dir()
    found = sorted(folder.glob("*.onnx")) if folder.is_dir() else []
    return sorted(found, key=lambda p: (p.name != SHIPPED_NAME, p.name))


def user_models_dir() -> Path:
    """The user's own models (trained in the app), e.g. ~/.local/share/GenreLab/models."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("GenreLab", appauthor=False)) / "models"


def default_model_path() -> Path:
    """The model to use when none is named: $GENRELAB_MODEL, else the shipped model.

    Raises ModelError saying how to get one when neither exists.
    """
    env = os.environ.get(ENV_MODEL)
    if env:
        return Path(env)
    shipped = shipped_model_path()
    if shipped.exists():
        return shipped
    raise ModelError(
        f"no genre model is installed (expected {shipped}); train one with `genrelab train --data DIR --out DIR` "
        f"and pass --model DIR/model.onnx, or set {ENV_MODEL}"
    )
