"""The paper's "visual" input: a window drawn as a colormap image and resized to a square RGB picture."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np

from genrelab.dsp.spec import FeatureSpec

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)[:, None, None]
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)[:, None, None]


@lru_cache(maxsize=8)
def colormap_lut(name: str) -> np.ndarray:
    """The 256 RGB entries (float32 in [0, 1]) of a matplotlib colormap, shipped in ``genrelab/data``."""
    with resources.files("genrelab.data").joinpath("colormaps.npz").open("rb") as fh:
        maps = np.load(fh)
        if name not in maps:
            raise ValueError(f"unknown colormap {name!r}; known: {', '.join(sorted(maps.files))}")
        return maps[name].astype(np.float32)


@lru_cache(maxsize=16)
def _linear_resize_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) matrix of bilinear weights with half-pixel centres (align_corners=False)."""
    m = np.zeros((n_out, n_in), np.float32)
    pos = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
    pos = np.clip(pos, 0, n_in - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = (pos - lo).astype(np.float32)
    m[np.arange(n_out), lo] += 1 - frac
    m[np.arange(n_out), hi] += frac
    return m


def colorize(scaled: np.ndarray, colormap: str = "magma") -> np.ndarray:
    """Map scaled windows in [-1, 1] (B, bins, cols) to RGB (B, 3, bins, cols) in [0, 1], top row = highest band."""
    lut = colormap_lut(colormap)
    k = np.clip(np.rint((scaled + 1.0) * 127.5), 0, 255).astype(np.intp)
    rgb = lut[k[:, ::-1, :]]  # (B, bins, cols, 3), flipped so the picture reads like a spectrogram
    return np.ascontiguousarray(np.moveaxis(rgb, -1, 1))


def paper_images(scaled: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """(B, 3, S, S) ImageNet-normalised pictures of scaled windows (B, bins, cols), S = ``spec.image_size``."""
    rgb = colorize(scaled, spec.colormap)
    rows = _linear_resize_matrix(rgb.shape[2], spec.image_size)
    cols = _linear_resize_matrix(rgb.shape[3], spec.image_size)
    img = np.einsum("hr,bcrw,sw->bchs", rows, rgb, cols, optimize=True)
    return ((img - IMAGENET_MEAN) / IMAGENET_STD).astype(np.float32)
