"""musicnn (Pons & Serra, 2019) in torch, and GenreLab's transfer net standing on it.

:class:`Musicnn` is a faithful port of the ``musicnn`` package's ``build_musicnn`` (MSD_musicnn, MTT_musicnn):
input (B, 187, 96) log-Mel patches (16 kHz, n_fft 512, hop 256, 96 bands, ``log10(1 + 10000 x)``); a front end of
timbral (7x38, 7x67) and temporal (128x1, 64x1, 32x1) filters, each max-pooled over frequency; a mid end of three
1-D convolutions over time (kernel 7, 64 filters, residual); a back end that max- and mean-pools over time
(1506 = 753 x 2 features), BatchNorm -> Dense(200) ReLU -> BatchNorm -> Dense(50 tags). BatchNorm epsilon 1e-3
(TensorFlow's). Weights come from the package's checkpoints via ``training/musicnn_convert.py`` (ISC licence).

:class:`MusicnnTransfer` puts an *adapter* in front of it, so a GenreLab model keeps the app's one feature set:
the window the app already computes (1, 128 Mel bands, W columns, per-window scaled to [-1, 1]) is turned back
into dB re the window's maximum, the Mel axis is interpolated onto musicnn's 96 bands (below 8 kHz), the time
axis linearly up-sampled to musicnn's 16-ms frames, a calibrated level and per-band offset added, and musicnn's
``log10(1 + 10000 x)`` applied. All of it is fixed tensors inside the exported ONNX graph.
Training and the torch engine import this module; the ONNX path never does.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

#: musicnn's input: 16 kHz, n_fft 512, hop 256, 96 slaney Mel bands up to 8 kHz, 187 frames (3 s).
MUSICNN_SR, MUSICNN_N_FFT, MUSICNN_HOP, MUSICNN_N_MELS, MUSICNN_FRAMES = 16000, 512, 256, 96, 187
BN_EPS = 1e-3
BACKBONES = {"msd": "MSD_musicnn", "mtt": "MTT_musicnn"}
#: Backbone layers, bottom to top, for ``--finetune`` (the named layer and all above it are trained).
LAYERS = ("frontend", "midend1", "midend2", "midend3", "backend")
N_TAGS = 50


class _Branch(nn.Module):
    """conv -> ReLU -> BatchNorm -> max over frequency (musicnn's timbral_block / tempo_block)."""

    def __init__(self, kernel: tuple[int, int], filters: int, pad_time: tuple[int, int]) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, filters, kernel)
        self.bn = nn.BatchNorm2d(filters, eps=BN_EPS)
        self.pad_time = pad_time

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (B, 1, T, F)
        x = F.pad(x, (0, 0, *self.pad_time))
        return self.bn(F.relu(self.conv(x))).amax(dim=3)  # (B, filters, T)


class _MidConv(nn.Module):
    """1-D conv over time (kernel 7, 'same' by zero padding 3) -> ReLU -> BatchNorm."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(c_in, c_out, 7, padding=3)
        self.bn = nn.BatchNorm1d(c_out, eps=BN_EPS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(F.relu(self.conv(x)))


class Musicnn(nn.Module):
    """The musicnn tagger (front end, mid end, back end); see the module docstring."""

    def __init__(self, n_mels: int = MUSICNN_N_MELS, filters_mid: int = 64, units_back: int = 200,
                 n_tags: int = N_TAGS) -> None:
        super().__init__()
        f = int(1.6 * 128)
        t = int(1.6 * 32)
        self.bn_input = nn.BatchNorm2d(1, eps=BN_EPS)
        self.timbral74 = _Branch((7, int(0.4 * n_mels)), f, (3, 3))
        self.timbral77 = _Branch((7, int(0.7 * n_mels)), f, (3, 3))
        # TensorFlow's 'same' padding for an even kernel k puts (k-1)//2 before and k//2 after
        self.temporal128 = _Branch((128, 1), t, (63, 64))
        self.temporal64 = _Branch((64, 1), t, (31, 32))
        self.temporal32 = _Branch((32, 1), t, (15, 16))
        self.front_channels = 2 * f + 3 * t  # 561
        self.mid1 = _MidConv(self.front_channels, filters_mid)
        self.mid2 = _MidConv(filters_mid, filters_mid)
        self.mid3 = _MidConv(filters_mid, filters_mid)
        self.channels = self.front_channels + 3 * filters_mid  # 753
        self.bn_pool = nn.BatchNorm1d(2 * self.channels, eps=BN_EPS)
        self.dense = nn.Linear(2 * self.channels, units_back)
        self.bn_dense = nn.BatchNorm1d(units_back, eps=BN_EPS)
        self.dropout = nn.Dropout(0.5)
        self.tags = nn.Linear(units_back, n_tags)

    def frontend(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, 96) log-Mel -> (B, 561, T) front-end features."""
        x = self.bn_input(x[:, None])
        branches = (self.timbral74, self.timbral77, self.temporal128, self.temporal64, self.temporal32)
        return torch.cat([b(x) for b in branches], dim=1)

    def midend(self, front: torch.Tensor) -> torch.Tensor:
        """(B, 561, T) -> (B, 753, T): front end and the three mid-end layers, densely connected."""
        c1 = self.mid1(front)
        c2 = self.mid2(c1) + c1
        c3 = self.mid3(c2) + c2
        return torch.cat([front, c1, c2, c3], dim=1)

    def feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, 96) log-Mel -> (B, 753, T): everything before the temporal pooling."""
        return self.midend(self.frontend(x))

    @staticmethod
    def pool(feature_map: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(max_pool, mean_pool), each (B, 753): musicnn's temporal pooling."""
        return feature_map.amax(dim=2), feature_map.mean(dim=2)

    def penultimate(self, max_pool: torch.Tensor, mean_pool: torch.Tensor) -> torch.Tensor:
        """(B, 200): BatchNorm of the pooled features (interleaved max, mean as in TF) -> Dense ReLU -> BatchNorm."""
        flat = torch.stack([max_pool, mean_pool], dim=2).flatten(1)
        return self.bn_dense(F.relu(self.dense(self.dropout(self.bn_pool(flat)))))

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """musicnn's outputs for (B, T, 96): tag logits, max_pool, mean_pool, penultimate (as the package names them)."""
        max_pool, mean_pool = self.pool(self.feature_map(x))
        pen = self.penultimate(max_pool, mean_pool)
        return {"logits": self.tags(self.dropout(pen)), "max_pool": max_pool, "mean_pool": mean_pool,
                "penultimate": pen}

    def layer_modules(self) -> dict[str, list[nn.Module]]:
        """The backbone's layers by :data:`LAYERS` name (for freezing)."""
        return {"frontend": [self.bn_input, self.timbral74, self.timbral77, self.temporal128, self.temporal64,
                             self.temporal32],
                "midend1": [self.mid1], "midend2": [self.mid2], "midend3": [self.mid3],
                "backend": [m for m in (self.bn_pool, self.dense, self.bn_dense) if m is not None]}


# ---- weights from the TensorFlow checkpoint ------------------------------------------------------------------
def _bn(prefix: str, tf: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {"weight": tf[f"{prefix}/gamma"], "bias": tf[f"{prefix}/beta"], "running_mean": tf[f"{prefix}/moving_mean"],
            "running_var": tf[f"{prefix}/moving_variance"]}


def state_from_tf(tf: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """A :class:`Musicnn` state dict from the TF checkpoint's variables (``build_musicnn``'s layer order)."""
    tf = {k.removeprefix("model/"): v for k, v in tf.items()}
    out: dict[str, np.ndarray] = {}

    def put(prefix: str, values: dict[str, np.ndarray]) -> None:
        for k, v in values.items():
            out[f"{prefix}.{k}"] = v

    put("bn_input", _bn("batch_normalization", tf))
    branches = ("timbral74", "timbral77", "temporal128", "temporal64", "temporal32")
    for i, name in enumerate(branches):
        conv = "conv2d" if i == 0 else f"conv2d_{i}"
        put(f"{name}.conv", {"weight": tf[f"{conv}/kernel"].transpose(3, 2, 0, 1), "bias": tf[f"{conv}/bias"]})
        put(f"{name}.bn", _bn(f"batch_normalization_{i + 1}", tf))
    for i, name in enumerate(("mid1", "mid2", "mid3")):
        kernel = tf[f"conv2d_{5 + i}/kernel"]  # (7, C_in, 1, C_out): a 1-D conv over time with C_in channels
        put(f"{name}.conv", {"weight": kernel[:, :, 0, :].transpose(2, 1, 0), "bias": tf[f"conv2d_{5 + i}/bias"]})
        put(f"{name}.bn", _bn(f"batch_normalization_{6 + i}", tf))
    put("bn_pool", _bn("batch_normalization_9", tf))
    put("dense", {"weight": tf["dense/kernel"].T, "bias": tf["dense/bias"]})
    put("bn_dense", _bn("batch_normalization_10", tf))
    put("tags", {"weight": tf["dense_1/kernel"].T, "bias": tf["dense_1/bias"]})
    return {k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32)) for k, v in out.items()}


# ---- the adapter: GenreLab's window -> musicnn's input -----------------------------------------------------------
def _slaney_mel(hz: np.ndarray) -> np.ndarray:
    hz = np.asarray(hz, np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    logstep = math.log(6.4) / 27.0
    mel = hz / f_sp
    log = hz >= min_log_hz
    mel[log] = min_log_hz / f_sp + np.log(hz[log] / min_log_hz) / logstep
    return mel


def _band_centres(sr: int, n_mels: int, fmin: float = 0.0, fmax: float | None = None) -> np.ndarray:
    """Centre frequencies (Hz) of librosa's slaney Mel bands (mel points 1..n_mels of n_mels + 2)."""
    from genrelab.dsp.spectrum import _mel_to_hz

    lo, hi = _slaney_mel(np.array([fmin]))[0], _slaney_mel(np.array([fmax or sr / 2]))[0]
    return np.asarray(_mel_to_hz(np.linspace(lo, hi, n_mels + 2)[1:-1]), np.float64)


def interpolation_matrix(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """(len(dst), len(src)) matrix that linearly interpolates values at positions ``src`` onto ``dst`` (clamped)."""
    m = np.zeros((len(dst), len(src)), np.float32)
    for i, p in enumerate(dst):
        j = int(np.clip(np.searchsorted(src, p) - 1, 0, len(src) - 2))
        t = float(np.clip((p - src[j]) / (src[j + 1] - src[j]), 0.0, 1.0))
        m[i, j], m[i, j + 1] = 1 - t, t
    return m


def adapter_matrices(spec_dict: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """(mel (96, n_mels), time (W, 187)) interpolation matrices from a GenreLab spec to musicnn's input.

    Mel: in Mel-scale position (the centre frequency of each of musicnn's bands among ours). Time: musicnn's
    frame t (t x 16 ms) among the window's columns (j x column seconds), both from the window's first column.
    """
    from genrelab.dsp.spec import FeatureSpec

    spec = FeatureSpec.from_dict(spec_dict)
    ours = _slaney_mel(_band_centres(spec.sr, spec.n_mels, spec.fmin, spec.fmax))
    theirs = _slaney_mel(_band_centres(MUSICNN_SR, MUSICNN_N_MELS))
    mel = interpolation_matrix(ours, theirs)
    w = spec.window_columns
    cols = np.arange(w) * spec.column_seconds
    frames = np.arange(MUSICNN_FRAMES) * MUSICNN_HOP / MUSICNN_SR
    time = interpolation_matrix(cols, frames).T.copy()
    return mel, time


class Adapter(nn.Module):
    """GenreLab window (B, 1, n_mels, W) scaled to [-1, 1] -> musicnn input (B, 187, 96) ``log10(1 + 1e4 P)``.

    ``offset_db`` (96) holds the calibrated level + per-band offset that maps dB re the window's maximum onto
    musicnn's power scale (see ``training/musicnn_convert.py calibrate``).
    """

    def __init__(self, spec_dict: dict[str, Any]) -> None:
        super().__init__()
        mel, time = adapter_matrices(spec_dict)
        self.half_db = float(spec_dict.get("top_db", 80.0)) / 2.0
        self.register_buffer("mel", torch.from_numpy(mel))
        self.register_buffer("time", torch.from_numpy(time))
        self.register_buffer("offset_db", torch.zeros(MUSICNN_N_MELS))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rel_db = x[:, 0] * self.half_db - self.half_db  # (B, n_mels, W), dB re the window's maximum
        db = torch.matmul(torch.matmul(self.mel, rel_db), self.time)  # (B, 96, 187)
        db = db + self.offset_db[:, None]
        power = torch.pow(10.0, db * 0.1)
        return torch.log10(1.0 + 10000.0 * power).transpose(1, 2)  # (B, 187, 96)


def window_key(window: np.ndarray) -> bytes:
    """A short key for one model input window (for :attr:`MusicnnTransfer.embed_cache`)."""
    import hashlib

    return hashlib.sha1(np.ascontiguousarray(window, np.float32).tobytes()).digest()


class SpanAdapter(nn.Module):
    """A *span* of columns (B, 1, n_mels, L), scaled to [-1, 1] re the span's maximum -> musicnn input (B, F, 96).

    Like :class:`Adapter`, but for any length: the time axis is linearly resampled (half-pixel centres, ONNX
    ``Resize``) by ``ratio`` = column seconds / 16 ms, so F = floor(L x ratio) musicnn frames; a window whose first
    column is ``s`` starts at frame ``round(s x ratio)``.
    """

    def __init__(self, spec_dict: dict[str, Any]) -> None:
        super().__init__()
        from genrelab.dsp.spec import FeatureSpec

        spec = FeatureSpec.from_dict(spec_dict)
        mel, _ = adapter_matrices(spec_dict)
        self.half_db = float(spec.top_db) / 2.0
        self.ratio = float(spec.column_seconds * MUSICNN_SR / MUSICNN_HOP)
        self.register_buffer("mel", torch.from_numpy(mel))
        self.register_buffer("offset_db", torch.zeros(MUSICNN_N_MELS))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rel_db = x[:, 0] * self.half_db - self.half_db  # (B, n_mels, L), dB re the span's maximum
        db = torch.matmul(self.mel, rel_db)  # (B, 96, L)
        db = F.interpolate(db, scale_factor=self.ratio, mode="linear", align_corners=False,
                           recompute_scale_factor=False)  # (B, 96, F)
        db = db + self.offset_db[:, None]
        power = torch.pow(10.0, db * 0.1)
        return torch.log10(1.0 + 10000.0 * power).transpose(1, 2)  # (B, F, 96)

    def first_frames(self, starts: torch.Tensor) -> torch.Tensor:
        """musicnn frame index of each window's first column (int64)."""
        return torch.round(starts.to(torch.float32) * self.ratio).to(torch.int64)


#: 187 = 11 x 17: the span net pools a window's frames in blocks of 17 (see ``MusicnnTransfer.embed_span``).
POOL_BLOCK = 17

#: musicnn's receptive field around one frame: temporal 128 (63 | 64), mid end 3 x 3: 73 frames = 1.17 s.
SPAN_CONTEXT_S = 73 * MUSICNN_HOP / MUSICNN_SR


class MusicnnTransfer(nn.Module):
    """Adapter -> musicnn backbone (pretrained) -> pooled features -> a small head for the genres.

    The backbone's BatchNorm'd pooled features (1506: max and mean over time) feed a Dropout -> Linear(1506,
    hidden) -> ReLU -> Dropout -> Linear(hidden, n_classes) head, or with ``hidden=0`` one Linear layer (a
    multinomial logistic regression); ``embed`` returns those 1506 features.
    ``finetune`` names the lowest backbone layer that is trained (``none``: the backbone stays frozen).

    ``span=True`` (models trained since the per-track front end): the net also answers many windows of one longer
    span at once (:meth:`forward_span`): musicnn's front and mid end run once over the span, and only the
    pooling and the head run per window. Its scaling is re the *span's* maximum (the whole track in the app),
    so that a window's features depend only on the music within :data:`SPAN_CONTEXT_S` of it.
    """

    def __init__(self, spec_dict: dict[str, Any], n_classes: int, hidden: int = 256, backbone: str = "msd",
                 finetune: str = "none", span: bool = False) -> None:
        super().__init__()
        if backbone not in BACKBONES:
            raise ValueError(f"unknown backbone {backbone!r}; choose {' or '.join(BACKBONES)}")
        if finetune not in ("none", *LAYERS):
            raise ValueError(f"--finetune must be none or one of {', '.join(LAYERS)} (got {finetune!r})")
        self.span = bool(span)
        #: seconds of music on each side of a window that its features depend on (span nets)
        self.context_s = SPAN_CONTEXT_S
        self.adapter = SpanAdapter(spec_dict) if self.span else Adapter(spec_dict)
        self.backbone = Musicnn()
        # the tagger's own top (Dense 200 -> 50 tags) is not used: the head stands on the pooled features
        self.backbone.dense = self.backbone.bn_dense = self.backbone.tags = None
        self.backbone_name = backbone
        self.finetune = finetune
        width = 2 * self.backbone.channels
        #: training only: window input bytes -> features already computed (never set when exporting)
        self.embed_cache: dict[bytes, torch.Tensor] | None = None
        if hidden > 0:
            self.head = nn.Sequential(nn.Dropout(0.5), nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(0.5),
                                      nn.Linear(hidden, n_classes))
        else:  # a linear head (multinomial logistic regression on the pooled features)
            self.head = nn.Sequential(nn.Linear(width, n_classes))

    def frozen_modules(self) -> list[nn.Module]:
        """Backbone layers that stay frozen (eval mode, no gradients) under ``finetune``."""
        layers = self.backbone.layer_modules()
        first = LAYERS.index(self.finetune) if self.finetune != "none" else len(LAYERS)
        return [m for name in LAYERS[:first] for m in layers[name]]

    def freeze(self) -> None:
        for m in self.frozen_modules():
            for p in m.parameters():
                p.requires_grad_(False)

    def train(self, mode: bool = True) -> MusicnnTransfer:
        super().train(mode)
        if mode:
            for m in self.frozen_modules():
                m.eval()  # frozen layers keep their BatchNorm statistics
        return self

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1506): the backbone's pooled features (max and mean over time, interleaved) after its BatchNorm."""
        if self.embed_cache is not None and not self.training:
            keys = [window_key(row) for row in x.detach().cpu().numpy()]
            if all(k in self.embed_cache for k in keys):
                return torch.stack([self.embed_cache[k] for k in keys])
        if self.span:
            return self.embed_span(x, torch.zeros(1, dtype=torch.int64, device=x.device))
        max_pool, mean_pool = self.backbone.pool(self.backbone.feature_map(self.adapter(x)))
        return self.backbone.bn_pool(torch.stack([max_pool, mean_pool], dim=2).flatten(1))

    def embed_span(self, x: torch.Tensor, starts: torch.Tensor) -> torch.Tensor:
        """(B x n, 1506) pooled features of the windows starting at columns ``starts`` (n,) of every span in ``x``
        (B, 1, n_mels, L); row ``b * n + i`` is span b's window i."""
        fmap = self.backbone.feature_map(self.adapter(x))  # (B, 753, F)
        # a window's 187 frames are 11 blocks of 17: max and mean of every 17-frame block once (any start), then
        # of the window's 11 blocks (exactly musicnn's max and mean over the 187 frames, 17x less to gather)
        block = POOL_BLOCK
        block_max = F.max_pool1d(fmap, block, stride=1)  # (B, 753, F - 16)
        block_mean = F.avg_pool1d(fmap, block, stride=1)
        offsets = torch.arange(0, MUSICNN_FRAMES, block, device=x.device)
        idx = self.adapter.first_frames(starts)[:, None] + offsets[None, :]  # (n, 11)
        max_pool, mean_pool = block_max[:, :, idx].amax(dim=3), block_mean[:, :, idx].mean(dim=3)  # (B, 753, n)
        pooled = torch.stack([max_pool, mean_pool], dim=3).permute(0, 2, 1, 3)  # (B, n, 753, 2)
        return self.backbone.bn_pool(pooled.reshape(-1, 2 * self.backbone.channels))

    def forward_span(self, x: torch.Tensor, starts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(logits (B x n, n_classes), embedding (B x n, 1506)) of the windows at ``starts`` of the spans ``x``."""
        features = self.embed_span(x, starts)
        return self.classify(features), features

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classify(self.embed(x))
