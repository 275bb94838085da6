"""Where models live: the shipped one in ``resources/models``, the user's own in the platform data folder."""

from __future__ import annotations

import os
from pathlib import Path

from genrelab.errors import ModelError

SHIPPED_NAME = "genrelab-resnet-bigru.onnx"
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


def shipped_model_path() -> Path:
    return resources_dir() / "models" / SHIPPED_NAME


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
