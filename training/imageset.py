"""Spectrogram-image datasets: decode images made by a known renderer back into the dB arrays the app computes.

The GTZAN images on hand (../shared/data/README.md) were drawn by ``librosa.display.specshow`` of
``power_to_db(melspectrogram(y, sr=22050), ref=np.max)`` with the ``magma`` colormap, 5x5 in at 100 dpi, no
axes: 387 x 385 pixels, every pixel an exact colormap entry. :class:`ImageRenderer` states those facts as
parameters; :func:`decode_image` inverts them: colour -> colormap index -> dB, rows -> Mel bands, and each
column is one feature column at the spec's frame stride (column j = STFT frame floor((j + 0.5) * N / 387.5)).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genrelab.dsp import GTZAN_IMAGE_STRIDE, FeatureSpec
from genrelab.dsp.image import colormap_lut
from genrelab.errors import GenreLabError
from training.clips import Clip

IMAGE_EXTENSIONS = (".png",)
GTZAN_NAME = re.compile(r"^([a-z]+)\.(\d{5})$")


class ImageSetError(GenreLabError):
    """A spectrogram image cannot be read or was not made by the stated renderer."""


@dataclass(frozen=True)
class ImageRenderer:
    """How the images were drawn.

    Attributes:
        colormap: matplotlib colormap name (its 256 entries are in ``genrelab/data/colormaps.npz``).
        db_min, db_max: the dB range the colormap spans (power_to_db(ref=max) with top_db 80: -80..0).
        n_bands: Mel bands drawn from the bottom row to the top row.
        width, height: image size in pixels (5 in x 100 dpi, tight, no padding: 387 x 385).
        frame_stride: STFT frames per image column for a 30-s clip (1293 / 387.5).
    """

    colormap: str = "magma"
    db_min: float = -80.0
    db_max: float = 0.0
    n_bands: int = 128
    width: int = 387
    height: int = 385
    frame_stride: float = GTZAN_IMAGE_STRIDE

    def feature_spec(self, **overrides) -> FeatureSpec:
        """The FeatureSpec under which audio gives what these images hold."""
        return FeatureSpec(n_mels=self.n_bands, frame_stride=self.frame_stride, **overrides)

    def band_of_row(self) -> np.ndarray:
        """Mel band of each image row counted from the bottom (the band its centre falls in)."""
        rows = np.arange(self.height)
        return np.floor((rows + 0.5) * self.n_bands / self.height).astype(np.int64)


GTZAN_RENDERER = ImageRenderer()


def _rgb_index(lut_u8: np.ndarray) -> dict[int, int]:
    keys = (lut_u8[:, 0].astype(np.int64) << 16) | (lut_u8[:, 1].astype(np.int64) << 8) | lut_u8[:, 2]
    return {int(k): i for i, k in enumerate(keys)}


def decode_pixels(rgb: np.ndarray, renderer: ImageRenderer = GTZAN_RENDERER) -> np.ndarray:
    """Colormap index (0..255) of every pixel of an (H, W, 3) uint8 image: exact entries first, the nearest
    entry for any other colour."""
    lut = colormap_lut(renderer.colormap)
    lut_u8 = np.round(lut * 255).astype(np.uint8)
    keys = (rgb[..., 0].astype(np.int64) << 16) | (rgb[..., 1].astype(np.int64) << 8) | rgb[..., 2]
    uniq, inverse = np.unique(keys, return_inverse=True)
    table = _rgb_index(lut_u8)
    idx = np.empty(len(uniq), np.int64)
    for i, k in enumerate(uniq):
        j = table.get(int(k))
        if j is None:
            colour = np.array([(k >> 16) & 255, (k >> 8) & 255, k & 255], np.float64)
            j = int(np.argmin(((lut_u8.astype(np.float64) - colour) ** 2).sum(axis=1)))
        idx[i] = j
    return idx[inverse].reshape(rgb.shape[:2])


def decode_array(rgb: np.ndarray, renderer: ImageRenderer = GTZAN_RENDERER) -> np.ndarray:
    """(n_bands, width) float32 dB from an (H, W, 3) uint8 image; row 0 of the result is the lowest band."""
    if rgb.shape[0] != renderer.height or rgb.shape[1] != renderer.width:
        raise ImageSetError(f"image is {rgb.shape[1]}x{rgb.shape[0]} pixels, the renderer draws "
                            f"{renderer.width}x{renderer.height}")
    k = decode_pixels(rgb, renderer)[::-1]  # flip: bottom row = lowest band
    db = renderer.db_min + (renderer.db_max - renderer.db_min) * k.astype(np.float32) / 255.0
    bands = renderer.band_of_row()
    sums = np.zeros((renderer.n_bands, db.shape[1]), np.float64)
    np.add.at(sums, bands, db)
    counts = np.bincount(bands, minlength=renderer.n_bands)[:, None]
    return (sums / np.maximum(counts, 1)).astype(np.float32)


def decode_image(path: str | Path, renderer: ImageRenderer = GTZAN_RENDERER) -> np.ndarray:
    """Decode one image file to (n_bands, width) dB (see :func:`decode_array`)."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    try:
        with Image.open(path) as im:
            rgb = np.asarray(im.convert("RGB"))
    except (OSError, UnidentifiedImageError) as exc:
        raise ImageSetError(f"{path.name}: not a readable image ({exc})") from None
    try:
        return decode_array(rgb, renderer)
    except ImageSetError as exc:
        raise ImageSetError(f"{path.name}: {exc}") from None


def render_db(db: np.ndarray, renderer: ImageRenderer = GTZAN_RENDERER) -> np.ndarray:
    """Our own renderer (the inverse of :func:`decode_array`): (n_bands, width) dB -> (H, W, 3) uint8.

    Draws like specshow + pcolormesh: each band fills the rows whose centre falls in it; used by tests to
    check the decoder round-trips within one colormap step.
    """
    lut_u8 = np.round(colormap_lut(renderer.colormap) * 255).astype(np.uint8)
    span = renderer.db_max - renderer.db_min
    k = np.clip(np.floor((np.clip(db, renderer.db_min, renderer.db_max) - renderer.db_min) / span * 255 + 0.5),
                0, 255).astype(np.intp)
    rows = k[renderer.band_of_row()]  # (height, width), bottom row first
    return lut_u8[rows[::-1]]


def clip_name(path: Path) -> tuple[str, str]:
    """(clip id, song group) from a file name: GTZAN ``genre.000NN`` -> (stem, stem); anything else too."""
    stem = path.stem
    return stem, stem


def load_image_clips(folder: str | Path, renderer: ImageRenderer = GTZAN_RENDERER, *, names: set[str] | None = None,
                     progress=None, cancel=None) -> tuple[list[Clip], list[tuple[Path, str]]]:
    """Every image under ``folder/<genre>/`` as a Clip of decoded dB; (clips, skipped files with reasons).

    ``names`` keeps only clips whose stem is in the set (split lists match on the stem).
    """
    from genrelab.progress import check_cancel, report

    folder = Path(folder)
    if not folder.is_dir():
        raise ImageSetError(f"{folder}: no such folder")
    files = sorted(p for p in folder.glob("*/*") if p.suffix.lower() in IMAGE_EXTENSIONS)
    if names is not None:
        files = [p for p in files if p.stem in names]
    if not files:
        raise ImageSetError(f"{folder}: no spectrogram images in genre sub-folders")
    clips, skipped = [], []
    for i, path in enumerate(files):
        check_cancel(cancel)
        try:
            db = decode_image(path, renderer)
        except ImageSetError as exc:
            skipped.append((path, str(exc)))
            continue
        clip_id, group = clip_name(path)
        clips.append(Clip(clip_id, path.parent.name, group, db, path))
        report(progress, (i + 1) / len(files), "decoding images")
    return clips, skipped


def audio_vs_image(audio_path: str | Path, image_path: str | Path,
                   renderer: ImageRenderer = GTZAN_RENDERER) -> float:
    """Mean absolute dB difference between the app's features of an audio clip and the decoded image of it.

    The audio goes through the app's decoder and :func:`genrelab.dsp.track_features`, referenced to the
    clip's maximum over all frames and floored like the renderer (power_to_db(ref=max), top_db 80), at the
    image's own stride N / (width + 0.5) for the clip's N frames.
    """
    from genrelab.audio import load
    from genrelab.dsp import track_features
    from genrelab.dsp.spectrum import n_frames

    spec = renderer.feature_spec()
    audio = load(audio_path, sr=spec.sr)
    n = n_frames(len(audio.samples), spec)
    full_max = float(track_features(audio.samples, spec.with_(frame_stride=1.0)).db.max())
    feats = track_features(audio.samples, spec.with_(frame_stride=n / (renderer.width + 0.5)))
    db = np.clip(feats.db - full_max, renderer.db_min, renderer.db_max)
    image = decode_image(image_path, renderer)
    cols = min(db.shape[1], image.shape[1])
    return float(np.abs(db[:, :cols] - image[:, :cols]).mean())
