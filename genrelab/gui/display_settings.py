"""What the spectrogram views show: one record of display parameters, turned into a display `FeatureSpec`.

The display spec is independent of the model's (the model's comes from its card and nothing here changes it).
Long tracks are decimated with ``frame_stride`` so an overview image stays about ``max_columns`` wide.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from genrelab.dsp.spec import FeatureSpec

FrequencyAxis = Literal["hz", "mel", "note"]
N_FFT_CHOICES = (256, 512, 1024, 2048, 4096, 8192)
HOP_CHOICES = (64, 128, 256, 512, 1024, 2048)
WINDOW_CHOICES = ("hann", "hamming", "blackman", "blackmanharris", "bartlett", "boxcar")
N_MELS_CHOICES = (32, 64, 96, 128, 192, 256)
COLORMAPS = ("magma", "inferno", "viridis", "plasma", "cividis", "turbo", "grey")
FREQUENCY_AXES: dict[str, str] = {"hz": "Hz", "mel": "Mel", "note": "Note names"}
STFT_SCALES: dict[str, str] = {"linear": "Linear", "log": "Logarithmic (octaves equal)"}
LOG_ROWS = 480  # rows of a log-frequency STFT image
LOG_FMIN = 20.0  # lowest frequency of a log-frequency STFT image (Hz) when Min freq is lower
OVERVIEW_COLUMNS = 4000  # widest overview image (wider than any screen; ~18 ms to colour on the GUI thread)
DETAIL_COLUMNS = 3000  # widest zoomed-in detail image


@dataclass(frozen=True)
class DisplaySettings:
    """Spectrogram display parameters (names as in `FeatureSpec`; ``fmax = 0`` means Nyquist).

    ``fmin``/``fmax`` limit both views: the Mel filter bank's range, and the STFT rows kept. ``stft_scale``
    "log" draws the STFT on a logarithmic frequency axis.
    """

    n_fft: int = 2048
    hop_length: int = 512
    window: str = "hann"
    n_mels: int = 128
    fmin: float = 0.0
    fmax: float = 0.0
    db_range: float = 80.0
    colormap: str = "magma"
    frequency_axis: FrequencyAxis = "hz"
    stft_scale: str = "linear"

    def band_limits(self, sr: int) -> tuple[float, float]:
        """(fmin, fmax) in Hz actually shown for a signal at ``sr``: fmax up to Nyquist, fmin below it."""
        nyquist = sr / 2
        fmax = self.fmax if 0 < self.fmax <= nyquist else nyquist
        return min(max(0.0, self.fmin), fmax * 0.9), fmax

    def feature_spec(self, kind: str, sr: int, n_samples: int, max_columns: int = OVERVIEW_COLUMNS) -> FeatureSpec:
        """The display `FeatureSpec` for a signal of ``n_samples`` at ``sr``, decimated to ``max_columns``."""
        from genrelab.dsp.spec import FeatureSpec  # imported where it runs (a worker): the core loads slowly

        frames = 1 + n_samples // self.hop_length
        stride = max(1.0, frames / max_columns)
        fmin, fmax_hz = self.band_limits(sr)
        fmax = fmax_hz if fmax_hz < sr / 2 else None
        return FeatureSpec(sr=sr, n_fft=self.n_fft, hop_length=self.hop_length, win_length=self.n_fft,
                           window=self.window, kind=kind, n_mels=self.n_mels, fmin=fmin, fmax=fmax,
                           frame_stride=stride)

    def needs_recompute(self, other: DisplaySettings) -> bool:
        """Whether going from ``other`` to ``self`` changes the spectra (not only colours, levels or labels)."""
        keys = ("n_fft", "hop_length", "window", "n_mels", "fmin", "fmax", "stft_scale")
        return any(getattr(self, k) != getattr(other, k) for k in keys)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DisplaySettings:
        """Build from stored values, keeping defaults for missing or unusable ones."""
        out = cls()
        for f in fields(cls):
            if f.name in data:
                try:
                    value = type(getattr(out, f.name))(data[f.name])
                    out = replace(out, **{f.name: value})
                except (TypeError, ValueError):
                    continue
        if out.n_fft not in N_FFT_CHOICES or out.hop_length not in HOP_CHOICES or out.window not in WINDOW_CHOICES:
            out = replace(out, n_fft=cls.n_fft, hop_length=cls.hop_length, window=cls.window)
        if out.colormap not in COLORMAPS:
            out = replace(out, colormap=cls.colormap)
        if out.frequency_axis not in FREQUENCY_AXES:
            out = replace(out, frequency_axis=cls.frequency_axis)
        if out.stft_scale not in STFT_SCALES:
            out = replace(out, stft_scale=cls.stft_scale)
        return out
