"""Model files for tests: a small random-weight net of the real architecture, exported to real ONNX with a card."""

from __future__ import annotations

from pathlib import Path


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


def export_random_span_model(path: Path, *, seed: int = 0) -> Path:
    """Export a random-weight musicnn transfer *span* net (full musicnn size, linear head) with a real card."""
    import torch

    from genrelab.dsp import GTZAN_IMAGE_STRIDE, FeatureSpec
    from genrelab.model.card import GTZAN_GENRES, ModelCard
    from genrelab.model.export import export_onnx
    from genrelab.model.musicnn import SPAN_CONTEXT_S
    from genrelab.model.nets import build

    torch.manual_seed(seed)
    spec = FeatureSpec(frame_stride=GTZAN_IMAGE_STRIDE)
    params = dict(architecture="musicnn_transfer", input_shape=list(spec.model_input_shape),
                  n_classes=len(GTZAN_GENRES), hidden=0, spec=spec.to_dict(), backbone="msd", finetune="none",
                  span=True, span_context_s=SPAN_CONTEXT_S)
    net = build("musicnn_transfer", spec.model_input_shape, len(GTZAN_GENRES), hidden=0, spec=spec.to_dict(),
                span=True)
    net.adapter.offset_db.fill_(15.0)  # a level like the calibrated one, so the front end sees music, not zeros
    card = ModelCard(name="random musicnn span", labels=list(GTZAN_GENRES), spec=spec, arch_params=params,
                     notes="random weights, for tests")
    return export_onnx(net.eval(), card, path)
