"""Engines run a model on batches of windows: `OnnxEngine` (ONNX Runtime) and `TorchEngine` (torch).

Both take the same input (from :func:`genrelab.dsp.windows.model_inputs`) and return probabilities
(B, n_classes). The ONNX path needs no torch; ``TorchEngine`` imports it only when built.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import numpy as np

from genrelab.errors import ModelError
from genrelab.model.card import ModelCard, card_from_session

BACKENDS = ("onnx", "torch")
DEVICES = ("auto", "cpu", "cuda", "mps")


class Engine(ABC):
    """Runs a genre model. ``card`` describes it; ``predict`` maps inputs to probabilities."""

    card: ModelCard
    backend: str
    device: str
    path: Path | None

    @abstractmethod
    def predict(self, inputs: np.ndarray) -> np.ndarray:
        """Probabilities (B, n_classes) float32 for model inputs (B, C, H, W) float32."""

    @property
    def description(self) -> str:
        """e.g. 'ONNX Runtime on CPU (2 threads)'."""
        return f"{self.backend} on {self.device}"


def _check_model_file(path: Path) -> None:
    if not path.exists():
        raise ModelError(f"{path}: no such model file")
    if path.is_dir():
        raise ModelError(f"{path.name}: is a directory, not a model file")
    if path.stat().st_size == 0:
        raise ModelError(f"{path.name}: model file is empty")


def open_onnx_session(path: Path, providers: list[str], threads: int | None = None) -> Any:
    """An ONNX Runtime session for ``path``; ModelError (one line) if it is not a loadable ONNX model."""
    import onnxruntime as ort

    _check_model_file(path)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    if threads:
        options.intra_op_num_threads = int(threads)
        options.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(str(path), sess_options=options, providers=providers)
    except Exception as exc:  # ORT raises several private exception types for bad files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{path.name}: not a usable ONNX model ({first[:160]})") from None


class OnnxEngine(Engine):
    """ONNX Runtime engine: CUDA provider when asked for or available ('auto'), else CPU."""

    backend = "onnxruntime"

    def __init__(self, path: str | Path, device: str = "auto", threads: int | None = None) -> None:
        import onnxruntime as ort

        self.path = Path(path)
        available = ort.get_available_providers()
        if device == "cuda" and "CUDAExecutionProvider" not in available:
            raise ModelError("CUDA was requested but this ONNX Runtime has no CUDA provider (pip install onnxruntime-gpu)")
        if device in ("auto", "cuda") and "CUDAExecutionProvider" in available:
            providers = ["CUDAExecutionProvider", "CPUExecutionProvider"]
        elif device in ("auto", "cpu"):
            providers = ["CPUExecutionProvider"]
        else:
            raise ModelError(f"device {device!r} is not available to ONNX Runtime (choose auto, cpu or cuda)")
        self.threads = threads or os.cpu_count() or 1
        self.session = open_onnx_session(self.path, providers, threads)
        self.card = card_from_session(self.session, self.path)
        used = self.session.get_providers()[0]
        self.device = "cuda" if used == "CUDAExecutionProvider" else "cpu"
        self._input = self.session.get_inputs()[0].name

    def predict(self, inputs: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(inputs, dtype=np.float32)
        return self.session.run(None, {self._input: x})[0]

    @property
    def description(self) -> str:
        return f"ONNX Runtime on {self.device.upper()} ({self.threads} threads)"


class TorchEngine(Engine):
    """torch engine built from an ONNX model file: the card says which net, the ONNX weights fill it."""

    backend = "torch"

    def __init__(self, path: str | Path, device: str = "auto", threads: int | None = None) -> None:
        try:
            import torch
        except ImportError:
            raise ModelError("the torch backend needs torch: pip install 'genrelab[train]'") from None
        from genrelab.model.torch_weights import net_from_onnx

        self.path = Path(path)
        _check_model_file(self.path)
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
        if device == "cuda" and not torch.cuda.is_available():
            raise ModelError("CUDA was requested but torch sees no CUDA device")
        if device == "mps" and not torch.backends.mps.is_available():
            raise ModelError("MPS was requested but torch sees no Apple GPU")
        if threads:
            torch.set_num_threads(int(threads))
        self.device = device
        self._torch = torch
        self.net, self.card = net_from_onnx(self.path)
        self.net.to(device).eval()

    def predict(self, inputs: np.ndarray) -> np.ndarray:
        torch = self._torch
        with torch.inference_mode():
            x = torch.from_numpy(np.ascontiguousarray(inputs, dtype=np.float32)).to(self.device)
            return torch.softmax(self.net(x), dim=1).float().cpu().numpy()

    @property
    def description(self) -> str:
        return f"torch on {self.device.upper()}"


def open_engine(model: str | Path | None = None, backend: str = "onnx", device: str = "auto",
                threads: int | None = None) -> Engine:
    """Open a model with the chosen backend; ``model=None`` means the installed default model."""
    from genrelab.model.registry import default_model_path

    path = Path(model) if model is not None else default_model_path()
    if backend == "onnx":
        return OnnxEngine(path, device, threads)
    if backend == "torch":
        return TorchEngine(path, device, threads)
    raise ModelError(f"unknown backend {backend!r} (choose onnx or torch)")
