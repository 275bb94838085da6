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


def export_onnx(net, card: ModelCard, path: str | Path) -> Path:
    """Write ``net`` (a logits net from :mod:`genrelab.model.nets`) as ONNX with softmax output and the card.

    Two outputs: ``card.output_name`` (probabilities, B x n_classes) and ``"embedding"`` (the net's penultimate
    features, float32 B x D, from its ``embed`` method). Dynamic batch axis, opset 18. Parameters keep their torch names (no constant folding, no Conv-BN fusion at
    export time; ONNX Runtime fuses at load), which lets :class:`~genrelab.model.engine.TorchEngine` rebuild the
    same net from the file. The file is written to a temporary name and moved into place.
    """
    import onnx
    import torch

    from genrelab.model.nets import WithSoftmax

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wrapped = WithSoftmax(net, with_embedding=True).eval()
    example = torch.zeros((2, *card.spec.model_input_shape), dtype=torch.float32)
    fd, tmp = tempfile.mkstemp(suffix=".onnx", dir=path.parent)
    os.close(fd)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                wrapped,
                (example,),
                tmp,
                dynamo=False,
                opset_version=OPSET,
                input_names=[card.input_name],
                output_names=[card.output_name, EMBEDDING_OUTPUT],
                dynamic_axes={card.input_name: {0: "batch"}, card.output_name: {0: "batch"},
                              EMBEDDING_OUTPUT: {0: "batch"}},
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
