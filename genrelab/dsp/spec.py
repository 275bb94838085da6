"""`FeatureSpec`: every number that decides what a model sees, in one frozen record.

The spec travels inside the model file (ONNX metadata, see :mod:`genrelab.model.card`); the app reads it from
there and nowhere else. Training builds its spec once and stores it in the card of the model it exports.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

import numpy as np

InputKind = Literal["mel", "stft"]
ImageMode = Literal["native", "paper"]


@dataclass(frozen=True)
class FeatureSpec:
    """Feature parameters of a model (names follow librosa: ``sr``, ``n_fft``, ``hop_length``, ``n_mels``).

    Attributes:
        sr: sample rate (Hz) audio is resampled to.
        n_fft: FFT size (samples).
        hop_length: STFT hop (samples).
        win_length: analysis window length (samples, <= n_fft).
        window: window function name (scipy.signal.get_window).
        center: pad ``n_fft // 2`` zeros on both sides so frame ``t`` is centred on sample ``t * hop_length``.
        kind: ``"mel"`` (Mel filter bank on the power spectrum) or ``"stft"`` (the power spectrum itself).
        n_mels: number of Mel bands (slaney-normalised filters, librosa's defaults).
        fmin, fmax: Mel band limits in Hz (``fmax=None`` means ``sr / 2``).
        frame_stride: keep one STFT frame every ``frame_stride`` frames: column ``j`` is frame
            ``floor((j + 0.5) * frame_stride)``. 1.0 keeps every frame (column j = frame j).
        window_s: model window length in seconds.
        top_db: per-window scaling: dB relative to the window's own maximum, floored at ``-top_db``,
            then mapped linearly to [-1, 1]. Nothing depends on the rest of the track.
        image: ``"native"`` feeds the (1, bands, columns) array; ``"paper"`` renders the window as the paper
            did: colormap image resized to ``image_size`` x ``image_size`` RGB, ImageNet-normalised.
        image_size: side of the paper-mode image in pixels.
        colormap: colormap of the paper-mode image.
    """

    sr: int = 22050
    n_fft: int = 2048
    hop_length: int = 512
    win_length: int = 2048
    window: str = "hann"
    center: bool = True
    kind: InputKind = "mel"
    n_mels: int = 128
    fmin: float = 0.0
    fmax: float | None = None
    frame_stride: float = 1.0
    window_s: float = 3.0
    top_db: float = 80.0
    image: ImageMode = "native"
    image_size: int = 224
    colormap: str = "magma"

    def __post_init__(self) -> None:
        if self.kind not in ("mel", "stft"):
            raise ValueError(f"kind must be 'mel' or 'stft', not {self.kind!r}")
        if self.image not in ("native", "paper"):
            raise ValueError(f"image must be 'native' or 'paper', not {self.image!r}")
        if not 0 < self.win_length <= self.n_fft:
            raise ValueError("win_length must be in (0, n_fft]")
        if self.frame_stride < 1.0:
            raise ValueError("frame_stride must be >= 1")
        if self.window_s <= 0 or self.top_db <= 0:
            raise ValueError("window_s and top_db must be positive")

    # ---- derived sizes -------------------------------------------------------------------------------
    @property
    def n_bins(self) -> int:
        """Rows of the feature array: Mel bands, or ``n_fft // 2 + 1`` STFT bins."""
        return self.n_mels if self.kind == "mel" else self.n_fft // 2 + 1

    @property
    def frames_per_window(self) -> int:
        """STFT frames a centred STFT of ``window_s`` seconds has (130 for 3 s at 22,050 Hz, hop 512)."""
        return 1 + int(self.window_s * self.sr) // self.hop_length

    @property
    def window_columns(self) -> int:
        """Feature columns in one model window (130 at stride 1; 39 at stride 3.3368)."""
        return max(1, int(round(self.frames_per_window / self.frame_stride)))

    @property
    def column_seconds(self) -> float:
        """Seconds between two feature columns."""
        return self.frame_stride * self.hop_length / self.sr

    @property
    def model_input_shape(self) -> tuple[int, int, int]:
        """Shape of one model input (channels, height, width), without the batch axis."""
        if self.image == "paper":
            return (3, self.image_size, self.image_size)
        return (1, self.n_bins, self.window_columns)

    @property
    def min_duration_s(self) -> float:
        """Shortest audio the analysis accepts (shorter is an error, not a padded window)."""
        return 0.5

    def column_frames(self, n_frames: int) -> np.ndarray:
        """STFT frame index (int64) of every feature column for a signal with ``n_frames`` frames."""
        if self.frame_stride == 1.0:
            return np.arange(n_frames, dtype=np.int64)
        j = np.arange(int(math.ceil(n_frames / self.frame_stride)) + 1)
        frames = np.floor((j + 0.5) * self.frame_stride).astype(np.int64)
        return frames[frames < n_frames]

    # ---- serialisation -------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-ready)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureSpec:
        """Build from a dict, ignoring unknown keys (newer files) and keeping defaults for missing ones."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def with_(self, **changes: Any) -> FeatureSpec:
        """A copy with some fields changed."""
        return replace(self, **changes)


#: The paper's Table 4 parameters (every STFT frame, 128 x 130 per 3-s window).
PAPER_SPEC = FeatureSpec()

#: Frame stride of the GTZAN Mel images (../shared/data/README.md): a 30-s clip's 1,293 frames drawn in 387.5
#: image columns, so column j shows frame floor((j + 0.5) * 1293 / 387.5).
GTZAN_IMAGE_STRIDE = 1293 / 387.5
