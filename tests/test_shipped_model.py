"""The models in resources/models: they load with ONNX Runtime alone, their cards say what issues 4 and 9 ask a card
to say, and (when ../shared holds the GTZAN data) the default one reproduces its card's own valid numbers."""

from __future__ import annotations

import numpy as np
import pytest

from genrelab.model.card import GTZAN_GENRES
from genrelab.model.engine import OnnxEngine
from genrelab.model.registry import SHIPPED_NAME, default_model_path, shipped_model_path, shipped_models


@pytest.fixture(scope="module")
def shipped():
    path = default_model_path()
    if not path.exists():
        pytest.fail(f"the shipped model is missing: {path}")
    return path, OnnxEngine(path, device="cpu")


def test_registry_lists_every_shipped_model_default_first():
    models = shipped_models()
    assert [p.name for p in models] == [SHIPPED_NAME, "genrelab-musicnn-msd.onnx"]
    assert models[0] == shipped_model_path() == default_model_path()


@pytest.mark.parametrize("name", ["genrelab-resnet-bigru.onnx", "genrelab-musicnn-msd.onnx"])
def test_every_shipped_model_has_a_complete_card_and_an_embedding(name):
    path = shipped_model_path().parent / name
    engine = OnnxEngine(path, device="cpu")
    card = engine.card
    assert path.stat().st_size <= 50e6 and tuple(card.labels) == GTZAN_GENRES
    valid = card.metrics["valid"]
    assert 0.5 < valid["track_accuracy"] <= 1.0 and 0.4 < valid["window_accuracy"] <= 1.0
    assert set(valid["per_genre_recall"]) == set(GTZAN_GENRES)
    assert card.provenance["cpu_seconds"] > 0 and "artist-filtered" in card.split and "mel-images" in card.data
    assert "test list was withheld" in card.notes and "real GTZAN audio clips" in card.notes
    x = np.random.default_rng(0).uniform(-1, 1, (3, *card.spec.model_input_shape)).astype(np.float32)
    probs, embedding = engine.predict_with_embedding(x)
    assert probs.shape == (3, 10) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    assert embedding is not None and embedding.shape[0] == 3 and embedding.ndim == 2
    if card.architecture == "musicnn_transfer":  # the card says what it stands on and under which licence
        init = card.provenance["initialisation"]
        assert "Million Song Dataset" in init and "ISC" in init and "musicnn" in init
        assert "minute" in card.notes  # how slow it is


def test_shipped_model_is_small_and_its_card_is_complete(shipped):
    path, engine = shipped
    card = engine.card
    assert path.stat().st_size <= 50e6
    assert card.architecture == "resnet_bigru" and tuple(card.labels) == GTZAN_GENRES
    valid = card.metrics["valid"]
    for key in ("window_accuracy", "track_accuracy", "window_f1", "track_f1"):
        assert 0.1 < valid[key] <= 1.0
    assert set(valid["per_genre_recall"]) == set(GTZAN_GENRES)
    p = card.provenance
    assert p["command"].startswith("genrelab train") and "--split filtered" in p["command"]
    assert p["seed"] == 42 and p["date"] and p["cpu_seconds"] > 0
    # issue 9: distilled from the musicnn transfer model, starting from the from-scratch weights
    assert "distilled from" in p["initialisation"] and "musicnn" in p["initialisation"]
    assert "--distill" in p["command"] and "noise level" in card.notes
    assert "mel-images" in card.data and "artist-filtered" in card.split
    assert "test list was withheld" in card.notes


def test_shipped_model_runs_on_one_window_and_a_batch(shipped):
    _, engine = shipped
    x = np.random.default_rng(0).uniform(-1, 1, (5, *engine.card.spec.model_input_shape)).astype(np.float32)
    probs = engine.predict(x)
    assert probs.shape == (5, 10) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    np.testing.assert_allclose(engine.predict(x[:1]), probs[:1], atol=1e-5)


@pytest.mark.gtzan
def test_shipped_model_reproduces_its_card_on_the_valid_images(shipped, shared_data):
    from training import datasets, splits
    from training.evaluate import evaluate_model

    path, engine = shipped
    root = shared_data / "gtzan" / "mel-images"
    entries, ignored = datasets.scan(root, images=True)
    split = splits.make_splits("filtered", entries, data_root=root, allow_missing=True)[0]
    data = datasets.load_image_entries(root, entries, split.valid, engine.card.spec, ignored=ignored)
    ev = evaluate_model(path, data.clips, hop_s=1.5)
    assert ev.n_clips == engine.card.metrics["valid"]["clips"]
    assert ev.track.accuracy == pytest.approx(engine.card.metrics["valid"]["track_accuracy"], abs=5e-5)  # the card keeps 4 decimals
    assert ev.window.accuracy == pytest.approx(engine.card.metrics["valid"]["window_accuracy"], abs=5e-5)  # the card keeps 4 decimals
