"""Rebuild the torch net of an exported ONNX model (for the torch engine), from the file alone."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from genrelab.errors import ModelError
from genrelab.model.card import CARD_KEY, ModelCard
from genrelab.model.export import ALIASES_KEY, EMBEDDING_OUTPUT


def net_from_onnx(path: Path, with_outputs: bool = False):
    """(net, card): the card's architecture filled with the file's weights, in eval mode.

    With ``with_outputs`` a third item says whether the file has the ``"embedding"`` output.

    Export keeps torch's parameter names; parameters the exporter merged with an identical one are listed in
    the ``genrelab.torch_aliases`` metadata. Raises ModelError when a parameter cannot be found.
    """
    import onnx
    import torch
    from onnx import numpy_helper

    from genrelab.model.nets import build_from_params

    try:
        model = onnx.load(str(path))
    except Exception:
        raise ModelError(f"{path.name}: not an ONNX model") from None
    meta = {p.key: p.value for p in model.metadata_props}
    if CARD_KEY not in meta:
        raise ModelError(f"{path.name}: ONNX model has no GenreLab model card (metadata '{CARD_KEY}')")
    try:
        card = ModelCard.from_json(meta[CARD_KEY])
    except (ValueError, TypeError, KeyError) as exc:
        raise ModelError(f"{path.name}: model card is unreadable ({exc})") from None
    arrays = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    aliases = json.loads(meta.get(ALIASES_KEY, "{}"))
    try:
        net = build_from_params(card.arch_params)
    except (ValueError, TypeError, KeyError) as exc:
        raise ModelError(f"{path.name}: the card's architecture cannot be built ({exc})") from None
    state = {}
    for key, tensor in net.state_dict().items():
        if key.endswith("num_batches_tracked"):
            state[key] = tensor
            continue
        found = arrays.get("net." + key, arrays.get(aliases.get(key, "")))
        if found is None or tuple(found.shape) != tuple(tensor.shape):
            raise ModelError(f"{path.name}: cannot rebuild the torch net (no weights for {key})")
        state[key] = torch.from_numpy(np.array(found))
    net.load_state_dict(state)
    if with_outputs:
        return net.eval(), card, any(o.name == EMBEDDING_OUTPUT for o in model.graph.output)
    return net.eval(), card
