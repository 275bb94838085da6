"""A fine-tuned (per-window) musicnn run can start from a per-span musicnn model (`genrelab train --init-from`)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from genrelab.dsp import FeatureSpec  # noqa: E402
from training.musicnn_transfer import build_transfer  # noqa: E402
from training.trainer import load_start  # noqa: E402


def test_a_span_model_starts_a_per_window_fine_tune():
    spec = FeatureSpec(frame_stride=3.3367741935483872, top_db=80.0)
    start = build_transfer(spec, 10, hidden=0, span=True)
    with torch.no_grad():
        start.head[0].weight.normal_()
        start.backbone.mid3.conv.weight.add_(1.0)
    net = build_transfer(spec, 10, hidden=0, finetune="midend3", span=False)
    own_adapter = {k: v.clone() for k, v in net.state_dict().items() if k.startswith("adapter.")}
    said = []
    load_start(net, start, said.append)
    assert torch.equal(net.head[0].weight, start.head[0].weight)
    assert torch.equal(net.backbone.mid3.conv.weight, start.backbone.mid3.conv.weight)
    for k, v in own_adapter.items():  # the per-window adapter (with its time up-sampling) stays
        assert torch.equal(net.state_dict()[k], v), k
    assert "adapter.time" in own_adapter and "per span" in said[0]
    x = torch.from_numpy(np.random.default_rng(0).uniform(0, 1, (2, 1, 128, spec.window_columns)).astype(np.float32))
    assert net.eval()(x).shape == (2, 10)


def test_same_kind_copies_everything():
    spec = FeatureSpec(frame_stride=3.3367741935483872, top_db=80.0)
    a = build_transfer(spec, 10, hidden=0, span=True)
    b = build_transfer(spec, 10, hidden=0, span=True)
    with torch.no_grad():
        a.adapter.offset_db.add_(3.0)
    said = []
    load_start(b, a, said.append)
    assert torch.equal(b.adapter.offset_db, a.adapter.offset_db) and said == []
