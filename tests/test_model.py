"""The model card in ONNX metadata, ONNX Runtime vs torch parity, and one-line errors for bad model files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from audiofiles import music_like
from onnx import TensorProto, helper

from genrelab.dsp import FeatureSpec, cut, model_inputs, track_features, window_starts
from genrelab.errors import ModelError
from genrelab.model import GTZAN_GENRES, ModelCard, OnnxEngine, TorchEngine, open_engine, read_card
from genrelab.model.card import CARD_KEY
from genrelab.model.export import export_onnx
from genrelab.model.nets import build


def real_inputs(spec: FeatureSpec, n: int = 6) -> np.ndarray:
    """Model inputs cut from a real (generated) signal, as analysis would feed them."""
    feats = track_features(music_like(8.0, spec.sr, seed=7), spec)
    starts = window_starts(feats.n_columns, spec, 0.5)[:n]
    return model_inputs(cut(feats.db, starts, spec), spec)


# ---- the card ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def carded_model(tmp_path_factory) -> tuple[Path, ModelCard]:
    """A small Bi-GRU with a card that uses every field."""
    import torch

    torch.manual_seed(1)
    spec = FeatureSpec(frame_stride=2.5, top_db=70.0, n_mels=64)
    labels = ["calm", "busy", "noisy"]
    params = {"architecture": "bigru", "input_shape": list(spec.model_input_shape), "n_classes": 3, "hidden": 8}
    card = ModelCard(
        name="card test",
        labels=labels,
        spec=spec,
        arch_params=params,
        metrics={"valid": {"track_accuracy": 0.5, "window_accuracy": 0.25}, "test": {"track_accuracy": 0.125}},
        data="generated signals",
        split="fit on A, select on B, report on C",
        provenance={"command": "pytest", "seed": 1},
        notes="for tests — ünïcode survives",
    )
    net = build("bigru", spec.model_input_shape, 3, hidden=8)
    path = export_onnx(net, card, tmp_path_factory.mktemp("card") / "card.onnx")
    return path, card


def test_card_round_trips_through_onnx_metadata(carded_model):
    path, card = carded_model
    assert read_card(path) == card
    assert OnnxEngine(path, device="cpu").card == card
    assert TorchEngine(path, device="cpu").card == card
    meta = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert ModelCard.from_json(meta[CARD_KEY]) == card
    assert ModelCard.from_json(card.to_json()) == card


def test_card_reads_files_from_newer_versions():
    data = json.loads(ModelCard("x", ["a"], FeatureSpec(), {"architecture": "cnn"}).to_json())
    data["spec"]["some_future_field"] = 3
    data["future_top_level"] = {"x": 1}
    card = ModelCard.from_json(json.dumps(data))
    assert card.spec == FeatureSpec() and card.name == "x"


def test_card_describe_shows_what_matters(carded_model):
    _, card = carded_model
    text = card.describe()
    for needle in ("card test", "bigru", "calm, busy, noisy", "mel 64 bins", "frame stride 2.5", "-70 dB",
                   "track_accuracy 0.500", "generated signals", "ünïcode"):
        assert needle in text


def test_export_has_dynamic_batch_and_softmax(tiny_model):
    engine = OnnxEngine(tiny_model, device="cpu")
    x = real_inputs(engine.card.spec, 7)
    for batch in (1, 3, 7):
        p = engine.predict(x[:batch])
        assert p.shape == (batch, 10) and p.dtype == np.float32
        np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-5)
    assert engine.card.labels == list(GTZAN_GENRES)
    opset = {o.domain: o.version for o in onnx.load(str(tiny_model)).opset_import}[""]
    assert opset >= 17


# ---- parity -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["tiny_model", "tiny_paper_model"])
def test_onnx_and_torch_engines_agree(which, request):
    path = request.getfixturevalue(which)
    onnx_engine = OnnxEngine(path, device="cpu", threads=2)
    torch_engine = TorchEngine(path, device="cpu")
    assert onnx_engine.card == torch_engine.card
    x = real_inputs(onnx_engine.card.spec)
    expected_shape = (3, 224, 224) if which == "tiny_paper_model" else (1, 128, 39)
    assert x.shape[1:] == expected_shape
    p_onnx, p_torch = onnx_engine.predict(x), torch_engine.predict(x)
    assert p_onnx.shape == p_torch.shape == (len(x), 10)
    assert np.abs(p_onnx - p_torch).max() <= 1e-4
    # the random net is not degenerate: different windows get different answers
    assert np.abs(p_onnx - p_onnx[:1]).max() > 1e-4


def without_embedding(path: Path, out: Path) -> Path:
    """The same model as an older export wrote it: the single output "probabilities", no "embedding"."""
    model = onnx.load(str(path))
    keep = [o for o in model.graph.output if o.name != "embedding"]
    del model.graph.output[:]
    model.graph.output.extend(keep)
    onnx.save(model, str(out))
    return out


@pytest.mark.parametrize("engine_class", [OnnxEngine, TorchEngine], ids=["onnx", "torch"])
def test_predict_with_embedding(engine_class, tiny_model, tmp_path):
    engine = engine_class(tiny_model, device="cpu")
    assert engine.has_embedding
    x = real_inputs(engine.card.spec, 5)
    probs, embedding = engine.predict_with_embedding(x)
    np.testing.assert_allclose(probs, engine.predict(x), atol=1e-5)
    assert embedding is not None and embedding.dtype == np.float32 and embedding.shape == (5, 512)
    assert np.abs(embedding - embedding[:1]).max() > 1e-4  # different windows, different features
    probs1, embedding1 = engine.predict_with_embedding(x[:1])  # dynamic batch
    np.testing.assert_allclose(embedding1, embedding[:1], atol=1e-4)
    # a model exported before the embedding output existed still loads and predicts; its embedding is None
    old = engine_class(without_embedding(tiny_model, tmp_path / "old.onnx"), device="cpu")
    assert not old.has_embedding
    old_probs, none = old.predict_with_embedding(x)
    assert none is None
    np.testing.assert_allclose(old_probs, probs, atol=1e-5)
    np.testing.assert_allclose(old.predict(x), probs, atol=1e-5)


def test_onnx_and_torch_embeddings_agree(tiny_model):
    x = real_inputs(OnnxEngine(tiny_model, device="cpu").card.spec)
    _, e_onnx = OnnxEngine(tiny_model, device="cpu").predict_with_embedding(x)
    _, e_torch = TorchEngine(tiny_model, device="cpu").predict_with_embedding(x)
    assert np.abs(e_onnx - e_torch).max() <= 1e-4


def test_open_engine_picks_the_backend(tiny_model):
    assert isinstance(open_engine(tiny_model, "onnx", "cpu"), OnnxEngine)
    assert isinstance(open_engine(tiny_model, "torch", "cpu"), TorchEngine)
    assert "CPU" in open_engine(tiny_model, "onnx", "cpu", threads=1).description


# ---- bad model files --------------------------------------------------------------------------------------
def write_cardless_onnx(path: Path) -> Path:
    """A valid ONNX model (softmax over 10 classes) with no GenreLab card."""
    graph = helper.make_graph(
        [helper.make_node("Softmax", ["input"], ["probabilities"], axis=1)],
        "no_card",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [None, 10])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 10])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def bad_model(kind: str, folder: Path) -> Path:
    if kind == "missing":
        return folder / "nowhere.onnx"
    if kind == "directory":
        (folder / "models.onnx").mkdir()
        return folder / "models.onnx"
    if kind == "empty":
        (folder / "empty.onnx").write_bytes(b"")
        return folder / "empty.onnx"
    if kind == "text":
        (folder / "notes.onnx").write_text("this is not a model\nsecond line\n")
        return folder / "notes.onnx"
    if kind == "no_card":
        return write_cardless_onnx(folder / "plain.onnx")
    raise AssertionError(kind)


BAD_MODELS = {
    "missing": "no such model file",
    "directory": "is a directory",
    "empty": "is empty",
    "text": "not",  # "not a usable ONNX model" / "not an ONNX model"
    "no_card": "no GenreLab model card",
}


@pytest.mark.parametrize("kind", list(BAD_MODELS))
@pytest.mark.parametrize("opener", [OnnxEngine, TorchEngine, read_card], ids=["onnx", "torch", "read_card"])
def test_bad_model_file_gives_a_one_line_model_error(kind, opener, tmp_path):
    path = bad_model(kind, tmp_path)
    with pytest.raises(ModelError) as info:
        opener(path)
    message = str(info.value)
    assert "\n" not in message
    assert path.name in message
    assert BAD_MODELS[kind] in message


def test_cardless_model_runs_in_onnx_runtime_but_is_refused(tmp_path):
    import onnxruntime as ort

    path = write_cardless_onnx(tmp_path / "plain.onnx")
    out = ort.InferenceSession(str(path)).run(None, {"input": np.zeros((1, 10), np.float32)})[0]
    np.testing.assert_allclose(out, 0.1, atol=1e-6)  # a perfectly good ONNX model ...
    with pytest.raises(ModelError, match="no GenreLab model card"):
        OnnxEngine(path)  # ... that GenreLab refuses


def test_unknown_backend(tiny_model):
    with pytest.raises(ModelError, match="unknown backend 'tensorflow'"):
        open_engine(tiny_model, backend="tensorflow")


def test_cuda_when_absent_is_a_model_error(tiny_model):
    import onnxruntime as ort

    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ModelError, match="CUDA"):
        OnnxEngine(tiny_model, device="cuda")


def test_genrelab_model_env_pointing_nowhere(monkeypatch, tmp_path):
    from genrelab.model.registry import ENV_MODEL, default_model_path

    monkeypatch.setenv(ENV_MODEL, str(tmp_path / "nowhere.onnx"))
    assert default_model_path() == tmp_path / "nowhere.onnx"
    with pytest.raises(ModelError, match="nowhere.onnx: no such model file"):
        open_engine(None)


# ---- `genrelab model` -------------------------------------------------------------------------------------
def test_genrelab_model_prints_the_card(carded_model):
    path, card = carded_model
    done = subprocess.run([sys.executable, "-m", "genrelab", "model", "--model", str(path)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"File:          {path}" in done.stdout
    assert read_card(path).describe() in done.stdout
    for needle in ("card test", "calm, busy, noisy", "frame stride 2.5", "Metrics valid: track_accuracy 0.500"):
        assert needle in done.stdout
    done = subprocess.run([sys.executable, "-m", "genrelab", "model", "--json", "--model", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert ModelCard.from_json(done.stdout) == card
