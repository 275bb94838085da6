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

#: Name of the optional second ONNX output (same as :data:`genrelab.model.export.EMBEDDING_OUTPUT`).
EMBEDDING_OUTPUT = "embedding"

#: Name of the second input of a *span* model: the first column of each window within the span (n,) int64.
SPAN_INPUT = "starts"

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

    @abstractmethod
    def predict_with_embedding(self, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(probabilities (B, n_classes), embedding (B, D) float32 or None when the model has no embedding).

        Models exported before the ``"embedding"`` output existed still work: their embedding is None.
        """

    @property
    def has_embedding(self) -> bool:
        """Whether the model file has the ``"embedding"`` output (the net's penultimate features)."""
        return False

    @property
    def is_span(self) -> bool:
        """Whether the model answers many windows of one longer span at once (:meth:`predict_span`)."""
        return False

    def predict_span(self, span: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(probabilities (n, C), embedding (n, D) or None) of the windows starting at columns ``starts`` of one
        span (1, 1, bins, L) scaled as one window (:func:`genrelab.dsp.windows.scale` of the whole span).

        Only span models (:attr:`is_span`) have it; :func:`genrelab.model.span.span_predict` is the caller.
        """
        raise ModelError("this model answers one window at a time (it is not a span model)")

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
        inputs = [i.name for i in self.session.get_inputs()]
        self._input = inputs[0]
        self._starts = SPAN_INPUT if SPAN_INPUT in inputs[1:] else None
        outputs = [o.name for o in self.session.get_outputs()]
        self._output = self.card.output_name if self.card.output_name in outputs else outputs[0]
        self._embedding = EMBEDDING_OUTPUT if EMBEDDING_OUTPUT in outputs else None

    @property
    def has_embedding(self) -> bool:
        return self._embedding is not None

    @property
    def is_span(self) -> bool:
        return self._starts is not None

    def _feed(self, x: np.ndarray, starts: np.ndarray | None = None) -> dict[str, np.ndarray]:
        feed = {self._input: x}
        if self._starts is not None:  # a window on its own is a span with one window at column 0
            feed[self._starts] = np.zeros(1, np.int64) if starts is None else np.asarray(starts, np.int64)
        return feed

    def predict(self, inputs: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(inputs, dtype=np.float32)
        return self.session.run([self._output], self._feed(x))[0]

    def predict_with_embedding(self, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        x = np.ascontiguousarray(inputs, dtype=np.float32)
        if self._embedding is None:
            return self.session.run([self._output], self._feed(x))[0], None
        probs, embedding = self.session.run([self._output, self._embedding], self._feed(x))
        return probs, np.asarray(embedding, dtype=np.float32).reshape(len(probs), -1)

    def predict_span(self, span: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        if self._starts is None:
            return super().predict_span(span, starts)
        x = np.ascontiguousarray(span, dtype=np.float32)
        names = [self._output] + ([self._embedding] if self._embedding else [])
        out = self.session.run(names, self._feed(x, starts))
        return out[0], (np.asarray(out[1], np.float32) if len(out) > 1 else None)

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
        self.net, self.card, self._has_embedding = net_from_onnx(self.path, with_outputs=True)
        self.net.to(device).eval()

    @property
    def has_embedding(self) -> bool:
        return self._has_embedding

    @property
    def is_span(self) -> bool:
        return bool(getattr(self.net, "span", False))

    def predict_span(self, span: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        if not self.is_span:
            return super().predict_span(span, starts)
        torch = self._torch
        with torch.inference_mode():
            x = torch.from_numpy(np.ascontiguousarray(span, dtype=np.float32)).to(self.device)
            s = torch.from_numpy(np.asarray(starts, np.int64)).to(self.device)
            logits, embedding = self.net.forward_span(x, s)
            return torch.softmax(logits, dim=1).float().cpu().numpy(), embedding.float().cpu().numpy()

    def predict(self, inputs: np.ndarray) -> np.ndarray:
        torch = self._torch
        with torch.inference_mode():
            x = torch.from_numpy(np.ascontiguousarray(inputs, dtype=np.float32)).to(self.device)
            return torch.softmax(self.net(x), dim=1).float().cpu().numpy()

    def predict_with_embedding(self, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        if not self._has_embedding:
            return self.predict(inputs), None
        from genrelab.model.nets import embed_and_classify

        torch = self._torch
        with torch.inference_mode():
            x = torch.from_numpy(np.ascontiguousarray(inputs, dtype=np.float32)).to(self.device)
            logits, embedding = embed_and_classify(self.net, x)
            return (torch.softmax(logits, dim=1).float().cpu().numpy(),
                    embedding.float().cpu().numpy().reshape(len(x), -1))

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
