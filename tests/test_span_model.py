"""Span models (musicnn transfer since the per-track front end): one pass per span, pooling per window.

A random-weight musicnn span net exported to ONNX, run by ONNX Runtime and by torch on synthesised audio.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from genrelab.analysis import analyse  # noqa: E402
from genrelab.audio import from_array  # noqa: E402
from genrelab.dsp import model_inputs, track_features, window_starts  # noqa: E402
from genrelab.dsp import windows as dsp_windows  # noqa: E402
from genrelab.errors import Cancelled, ModelError  # noqa: E402
from genrelab.model.card import read_card  # noqa: E402
from genrelab.model.engine import OnnxEngine, TorchEngine  # noqa: E402
from genrelab.model.span import context_columns, span_groups, span_predict  # noqa: E402
from tests.modelfiles import export_random_span_model  # noqa: E402


@pytest.fixture(scope="module")
def span_model(tmp_path_factory):
    return export_random_span_model(tmp_path_factory.mktemp("span") / "span.onnx")


@pytest.fixture(scope="module")
def track_db(span_model):
    """40 s of a chord that changes every 5 s, with a drum-like click: features at the model's spec."""
    spec = read_card(span_model).spec
    sr = spec.sr
    t = np.arange(int(40 * sr)) / sr
    f0 = np.where((t // 5) % 2 == 0, 220.0, 330.0)
    y = 0.3 * np.sin(2 * np.pi * f0 * t) + 0.2 * np.sin(2 * np.pi * 2.5 * f0 * t)
    y += 0.5 * (np.mod(t, 0.5) < 0.01) * np.random.default_rng(0).normal(size=len(t))
    return track_features(y.astype(np.float32), spec).db


def test_span_model_has_two_inputs_and_says_how_it_scales(span_model):
    engine = OnnxEngine(span_model, device="cpu", threads=2)
    assert engine.is_span and engine.has_embedding
    assert "whole track" in engine.card.normalisation
    assert context_columns(engine.card) == 17  # 1.17 s of context at 77.5 ms per column, rounded up, + 1


def test_onnx_and_torch_agree_on_a_span(span_model, track_db):
    onnx, torch_engine = OnnxEngine(span_model, device="cpu", threads=2), TorchEngine(span_model, device="cpu")
    spec = onnx.card.spec
    starts = window_starts(track_db.shape[1], spec, 0.5)
    p_onnx, e_onnx = span_predict(onnx, track_db, starts, with_embedding=True)
    p_torch, e_torch = span_predict(torch_engine, track_db, starts, with_embedding=True)
    assert p_onnx.shape == (len(starts), 10) and e_onnx.shape == (len(starts), 1506)
    assert np.allclose(p_onnx.sum(axis=1), 1.0, atol=1e-5)
    assert np.abs(p_onnx - p_torch).max() < 1e-4
    assert np.abs(e_onnx - e_torch).max() < 1e-3 * max(1.0, float(np.abs(e_torch).max()))


def test_a_windows_answer_does_not_depend_on_how_the_track_is_cut(span_model, track_db):
    engine = OnnxEngine(span_model, device="cpu", threads=2)
    spec = engine.card.spec
    starts = window_starts(track_db.shape[1], spec, 0.5)
    whole, _ = span_predict(engine, track_db, starts, max_span_s=120.0)
    cut, _ = span_predict(engine, track_db, starts, max_span_s=8.0)
    assert len(span_groups(starts, track_db.shape[1], spec, context_columns(engine.card), 8.0)) > 5
    # only the sub-frame phase of musicnn's 16-ms grid (a span starts on a column, 4.84 frames apart) differs
    assert np.abs(whole - cut).max() < 0.03
    assert np.array_equal(whole.argmax(axis=1), cut.argmax(axis=1))
    # without the context on both sides, windows would see zeros where the music goes on: clearly different
    alone = engine.predict(model_inputs(dsp_windows.cut(track_db, starts, spec), spec))
    assert np.abs(whole - alone).max() > 4 * np.abs(whole - cut).max()


def test_analyse_runs_a_span_model_per_span_with_progress_and_cancel(span_model, track_db):
    engine = OnnxEngine(span_model, device="cpu", threads=2)
    spec = engine.card.spec
    sr = spec.sr
    t = np.arange(int(20 * sr)) / sr
    audio = from_array((0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), sr)
    seen: list[float] = []
    result = analyse(audio, engine, 0.5, progress=lambda f, m: seen.append(f))
    feats = track_features(audio.samples, spec)
    starts = window_starts(feats.n_columns, spec, 0.5)
    expected, _ = span_predict(engine, feats.db, starts)
    assert np.array_equal(result.timeline.probs, expected)
    assert seen and seen[-1] == pytest.approx(1.0) and seen == sorted(seen)

    class Stop:
        def is_set(self) -> bool:
            return True

    with pytest.raises(Cancelled):
        analyse(audio, engine, 0.5, cancel=Stop())


def test_a_window_model_has_no_span_path(tiny_model):
    engine = OnnxEngine(tiny_model, device="cpu", threads=1)
    assert not engine.is_span
    with pytest.raises(ModelError, match="one window at a time"):
        engine.predict_span(np.zeros((1, 1, 128, 80), np.float32), np.zeros(1, np.int64))


def test_the_library_decodes_each_window_with_the_span_models_context(span_model, tmp_path):
    import soundfile as sf

    from genrelab.library.pipeline import analyse_track, prepare_entry
    from genrelab.library.scan import FileEntry
    from genrelab.model.span import predict_windows, span_window_spec

    engine = OnnxEngine(span_model, device="cpu", threads=2)
    spec = engine.card.spec
    sr = 44100
    t = np.arange(int(60 * sr)) / sr
    path = tmp_path / "tune.wav"
    sf.write(path, (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 0.5 * t))).astype(np.float32), sr)
    wide = span_window_spec(engine.card)
    assert wide.window_columns == spec.window_columns + 2 * context_columns(engine.card)
    st = path.stat()
    prepped = prepare_entry(FileEntry(str(path), st.st_size, st.st_mtime_ns), wide, 4)
    assert prepped.prepared.inputs.shape[-1] == wide.window_columns  # each window decoded with its context
    result = analyse_track(str(path), engine, n_windows=4)
    assert result.ok and len(result.window_probs) == 4
    assert np.allclose(np.asarray(result.window_probs).sum(axis=1), 1.0, atol=1e-5)
    # the answer is the middle window's: the same as the span model on that span with the window at its offset
    probs, emb = predict_windows(engine, prepped.prepared.inputs)
    ctx = context_columns(engine.card)
    expected, _ = engine.predict_span(prepped.prepared.inputs[:1], np.array([ctx], np.int64))
    assert np.abs(probs[:1] - expected).max() < 1e-6 and emb.shape == (4, 1506)
