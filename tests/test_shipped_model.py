"""The models in resources/models: they load with ONNX Runtime alone, their cards say what issues 4 and 9 ask a card
to say, and (when ../shared holds the GTZAN data) the default one reproduces its card's own valid numbers."""

from __future__ import annotations

import re

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
    assert SHIPPED_NAME == "genrelab-musicnn-msd.onnx"
    assert [p.name for p in models] == [SHIPPED_NAME, "genrelab-resnet-bigru.onnx"]
    assert models[0] == shipped_model_path() == default_model_path()


@pytest.mark.parametrize("name", ["genrelab-musicnn-msd.onnx", "genrelab-resnet-bigru.onnx"])
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


def test_the_default_is_the_musicnn_span_model_and_its_card_says_how_it_was_made(shipped):
    path, engine = shipped
    card = engine.card
    assert path.stat().st_size <= 50e6
    assert card.architecture == "musicnn_transfer" and engine.is_span and tuple(card.labels) == GTZAN_GENRES
    valid = card.metrics["valid"]
    for key in ("window_accuracy", "track_accuracy", "window_f1", "track_f1"):
        assert 0.1 < valid[key] <= 1.0
    p = card.provenance
    assert p["command"].startswith("genrelab train") and "--split filtered" in p["command"]
    assert p["seed"] == 42 and p["date"] and p["cpu_seconds"] > 0
    assert "LinearDiscriminantAnalysis" in p["optimiser"] and "temperature" in p["optimiser"]
    assert "whole track" in card.normalisation and "span" in p["initialisation"]


def test_the_paper_model_ships_beside_it_distilled_from_musicnn():
    card = OnnxEngine(shipped_model_path().parent / "genrelab-resnet-bigru.onnx", device="cpu").card
    assert card.architecture == "resnet_bigru"
    p = card.provenance
    assert "distilled from" in p["initialisation"] and "musicnn" in p["initialisation"]
    assert "--distill" in p["command"] and "noise level" in card.notes
    # the teacher is the default model shipped beside it, answering views of the train clips out-of-fold
    assert "--distill-views" in p["command"] and "--distill-oof" in p["command"]
    assert "altered views" in p["initialisation"] and "0.70" in card.notes  # says the goal is not reached


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
    match = re.search(r"--eval-hop (\S+)", engine.card.provenance["command"])  # the hop its card was scored at
    ev = evaluate_model(path, data.clips, hop_s=float(match.group(1)) if match else 1.0)
    assert ev.n_clips == engine.card.metrics["valid"]["clips"]
    assert ev.track.accuracy == pytest.approx(engine.card.metrics["valid"]["track_accuracy"], abs=5e-5)  # the card keeps 4 decimals
    assert ev.window.accuracy == pytest.approx(engine.card.metrics["valid"]["window_accuracy"], abs=5e-5)  # the card keeps 4 decimals
