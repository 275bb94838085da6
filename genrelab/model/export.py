"""Export a trained torch net to ONNX with its :class:`ModelCard` in the metadata (needs torch and onnx)."""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

from genrelab.model.card import CARD_KEY, ModelCard
from genrelab.model.engine import EMBEDDING_OUTPUT as ENGINE_EMBEDDING_OUTPUT
from genrelab.model.engine import SPAN_INPUT

OPSET = 18
#: Metadata key: torch parameter name -> ONNX initialiser name, for parameters the exporter merged with an
#: identical one (so the torch engine can rebuild the net from the file alone).
ALIASES_KEY = "genrelab.torch_aliases"
#: The second ONNX output ("embedding"): the net's penultimate features, float32 (B, D) (for "similar by sound").
EMBEDDING_OUTPUT = ENGINE_EMBEDDING_OUTPUT


def _aliases(net, model) -> dict[str, str]:
    from onnx import numpy_helper

    arrays = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    by_value: dict[tuple, str] = {}
    for name, array in arrays.items():
        by_value.setdefault((array.shape, array.tobytes()), name)
    aliases = {}
    for key, tensor in net.state_dict().items():
        if key.endswith("num_batches_tracked") or "net." + key in arrays:
            continue
        value = tensor.detach().cpu().numpy()
        name = by_value.get((value.shape, value.tobytes()))
        if name is None:
            raise RuntimeError(f"export lost parameter {key}")
        aliases[key] = name
    return aliases


def _span_wrapper_class():
    import torch
    from torch import nn

    class SpanWithSoftmax(nn.Module):
        """A span net's (probabilities, embedding) for spans (B, C, H, L) and window starts (n,)."""

        def __init__(self, net: nn.Module) -> None:
            super().__init__()
            self.net = net

        def forward(self, x: torch.Tensor, starts: torch.Tensor):
            logits, features = self.net.forward_span(x, starts)
            return torch.softmax(logits, dim=1), features

    return SpanWithSoftmax


def _SpanWithSoftmax(net):  # noqa: N802 - a class made on demand (torch is imported lazily here)
    return _span_wrapper_class()(net)


def export_onnx(net, card: ModelCard, path: str | Path) -> Path:
    """Write ``net`` (a logits net from :mod:`genrelab.model.nets`) as ONNX with softmax output and the card.

    Two outputs: ``card.output_name`` (probabilities, B x n_classes) and ``"embedding"`` (the net's penultimate
    features, float32 B x D, from its ``embed`` method). Dynamic batch axis, opset 18. A *span* net (musicnn
    transfer with ``span=True``) gets a second input, ``"starts"`` (n,) int64, and dynamic span length: its
    outputs have one row per (span, window). Parameters keep their torch names (no constant folding, no Conv-BN fusion at
    export time; ONNX Runtime fuses at load), which lets :class:`~genrelab.model.engine.TorchEngine` rebuild the
    same net from the file. The file is written to a temporary name and moved into place.
    """
    import onnx
    import torch

    from genrelab.model.nets import WithSoftmax

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    span = bool(getattr(net, "span", False))
    if span:  # two inputs: spans of any length and the first column of each window in them
        wrapped = _SpanWithSoftmax(net).eval()
        c, h, w = card.spec.model_input_shape
        example = (torch.zeros((1, c, h, 2 * w), dtype=torch.float32), torch.tensor([0, w // 2], dtype=torch.int64))
        input_names = [card.input_name, SPAN_INPUT]
        axes = {card.input_name: {0: "batch", 3: "columns"}, SPAN_INPUT: {0: "windows"},
                card.output_name: {0: "rows"}, EMBEDDING_OUTPUT: {0: "rows"}}
    else:
        wrapped = WithSoftmax(net, with_embedding=True).eval()
        example = (torch.zeros((2, *card.spec.model_input_shape), dtype=torch.float32),)
        input_names = [card.input_name]
        axes = {card.input_name: {0: "batch"}, card.output_name: {0: "batch"}, EMBEDDING_OUTPUT: {0: "batch"}}
    fd, tmp = tempfile.mkstemp(suffix=".onnx", dir=path.parent)
    os.close(fd)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                wrapped,
                example,
                tmp,
                dynamo=False,
                opset_version=OPSET,
                input_names=input_names,
                output_names=[card.output_name, EMBEDDING_OUTPUT],
                dynamic_axes=axes,
                training=torch.onnx.TrainingMode.PRESERVE,
                do_constant_folding=False,
            )
        model = onnx.load(tmp)
        for key, value in ((CARD_KEY, card.to_json()), (ALIASES_KEY, json.dumps(_aliases(net, model)))):
            entry = model.metadata_props.add()
            entry.key, entry.value = key, value
        model.producer_name = "genrelab"
        model.doc_string = f"GenreLab model: {card.name}"
        onnx.save(model, tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a model file is for everyone to read
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    net.eval()
    return path


def parity(path: str | Path, net, inputs: np.ndarray) -> float:
    """Max absolute difference between ONNX Runtime's and torch's probabilities on ``inputs``."""
    import torch

    from genrelab.model.engine import OnnxEngine

    engine = OnnxEngine(path, device="cpu")
    net.eval()
    with torch.inference_mode():
        expected = torch.softmax(net(torch.from_numpy(np.ascontiguousarray(inputs, np.float32))), dim=1).numpy()
    return float(np.abs(engine.predict(inputs) - expected).max())
