"""Shared fixtures: a small random-weight model of the real architecture, exported to real ONNX."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def export_random_model(path: Path, *, image: str = "native", architecture: str = "resnet_bigru",
                        labels: tuple[str, ...] | None = None, seed: int = 0) -> Path:
    """Export a random-weight net (reduced width) with a real card; BatchNorm statistics made non-trivial."""
    import torch

    from genrelab.dsp import GTZAN_IMAGE_STRIDE, FeatureSpec
    from genrelab.model.card import GTZAN_GENRES, ModelCard
    from genrelab.model.export import export_onnx
    from genrelab.model.nets import build

    torch.manual_seed(seed)
    spec = FeatureSpec(frame_stride=GTZAN_IMAGE_STRIDE, image=image)
    labels = labels or GTZAN_GENRES
    params = dict(architecture=architecture, input_shape=list(spec.model_input_shape), n_classes=len(labels),
                  base_width=8, hidden=16)
    net = build(architecture, spec.model_input_shape, len(labels), base_width=8, hidden=16)
    net.train()
    with torch.no_grad():
        net(torch.randn(8, *spec.model_input_shape))
    card = ModelCard(name=f"random {architecture} ({image})", labels=list(labels), spec=spec, arch_params=params,
                     notes="random weights, for tests")
    return export_onnx(net.eval(), card, path)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A random-weight ResNet-BiGRU (native input, width 8) as ONNX with a card."""
    return export_random_model(tmp_path_factory.mktemp("models") / "tiny.onnx")


@pytest.fixture(scope="session")
def tiny_paper_model(tmp_path_factory) -> Path:
    """The same architecture on the paper's 224x224 image input."""
    return export_random_model(tmp_path_factory.mktemp("models") / "tiny_paper.onnx", image="paper")


@pytest.fixture
def shared_data() -> Path:
    """../shared/data when present (GTZAN material); the test is skipped with a reason otherwise."""
    if not (SHARED_DATA / "gtzan").is_dir():
        pytest.skip(f"GTZAN data not present at {SHARED_DATA}")
    return SHARED_DATA
