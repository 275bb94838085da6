"""The torch port of musicnn against reference values of the original (TensorFlow) and its checkpoint reader.

tests/data/musicnn_reference.npz holds two windows of musicnn input computed from a generated signal (not GTZAN)
and what the original TensorFlow musicnn outputs for them (training/musicnn_reference.py, float32, oneDNN off).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

REFERENCE = Path(__file__).parent / "data" / "musicnn_reference.npz"


@pytest.fixture(scope="module")
def reference() -> dict[str, np.ndarray]:
    with np.load(REFERENCE) as data:
        return {k: data[k] for k in data.files}


@pytest.mark.parametrize("backbone", ["msd", "mtt"])
def test_port_matches_the_original(backbone, reference):
    from training.musicnn_parity import port_outputs

    ours = port_outputs(reference["x"].astype(np.float32), backbone)
    for key in ("mean_pool", "penultimate", "logits", "tags"):
        assert np.abs(ours[key] - reference[f"{backbone}_{key}"]).max() <= 1e-4, key
    # max_pool reaches ~75 in the mid-end channels: float32 summation order alone moves it by ~1e-4 there
    expected = reference[f"{backbone}_max_pool"]
    assert (np.abs(ours["max_pool"] - expected) / np.maximum(1.0, np.abs(expected))).max() <= 5e-5
    assert ours["tags"].std() > 0.01  # a real answer, not a constant


@pytest.mark.skipif(importlib.util.find_spec("musicnn") is None, reason="musicnn not installed (pip install "
                    "--no-deps musicnn)")
def test_checkpoint_reader_gives_the_committed_weights(tmp_path):
    from training.musicnn_convert import convert, weights_path

    out = convert("msd", tmp_path / "msd.npz")
    with np.load(out) as fresh, np.load(weights_path("msd")) as committed:
        assert sorted(fresh.files) == sorted(committed.files)
        for k in fresh.files:
            np.testing.assert_array_equal(fresh[k], committed[k])


# ---- the transfer net: adapter inside the graph, export, both engines ---------------------------------------
def test_adapter_maps_the_app_window_onto_musicnn_input():
    from genrelab.dsp import GTZAN_IMAGE_STRIDE, FeatureSpec
    from genrelab.model.musicnn import Adapter

    spec = FeatureSpec(frame_stride=GTZAN_IMAGE_STRIDE)
    adapter = Adapter(spec.to_dict()).eval()
    assert adapter.mel.shape == (96, 128) and adapter.time.shape == (spec.window_columns, 187)
    np.testing.assert_allclose(adapter.mel.sum(1).numpy(), 1.0, atol=1e-6)  # interpolation weights
    np.testing.assert_allclose(adapter.time.sum(0).numpy(), 1.0, atol=1e-6)
    flat = torch.full((1, 1, 128, spec.window_columns), 1.0)  # 0 dB re the window's maximum everywhere
    adapter.offset_db.fill_(-20.0)
    out = adapter(flat)
    assert out.shape == (1, 187, 96)
    np.testing.assert_allclose(out.numpy(), np.log10(1 + 1e4 * 10 ** (-20 / 10)), rtol=1e-5)
    floor = adapter(torch.full_like(flat, -1.0))  # the floor (-80 dB) maps far below
    assert float(floor.max()) < float(out.min())


def test_transfer_model_exports_with_embedding_and_both_engines_agree(tmp_path):
    from genrelab.dsp import GTZAN_IMAGE_STRIDE, FeatureSpec
    from genrelab.model.card import GTZAN_GENRES, ModelCard
    from genrelab.model.engine import OnnxEngine, TorchEngine
    from genrelab.model.export import export_onnx
    from training.musicnn_transfer import build_transfer

    spec = FeatureSpec(frame_stride=GTZAN_IMAGE_STRIDE)
    torch.manual_seed(0)
    net = build_transfer(spec, 10, backbone="mtt", hidden=16).eval()
    params = {"architecture": "musicnn_transfer", "input_shape": list(spec.model_input_shape), "n_classes": 10,
              "hidden": 16, "spec": spec.to_dict(), "backbone": "mtt", "finetune": "none", "span": True,
              "span_context_s": net.context_s}
    card = ModelCard("musicnn test", list(GTZAN_GENRES), spec, params)
    path = export_onnx(net, card, tmp_path / "m.onnx")
    x = np.random.default_rng(1).uniform(-1, 1, (3, *spec.model_input_shape)).astype(np.float32)
    p_onnx, e_onnx = OnnxEngine(path, device="cpu").predict_with_embedding(x)
    p_torch, e_torch = TorchEngine(path, device="cpu").predict_with_embedding(x)
    assert p_onnx.shape == (3, 10) and e_onnx.shape == (3, 1506)
    assert np.abs(p_onnx - p_torch).max() <= 1e-4 and np.abs(e_onnx - e_torch).max() <= 1e-3
    with torch.inference_mode():
        np.testing.assert_allclose(torch.softmax(net(torch.from_numpy(x)), 1).numpy(), p_onnx, atol=1e-4)
    assert np.abs(p_onnx - p_onnx[:1]).max() > 1e-5  # different windows, different answers
