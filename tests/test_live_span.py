"""The rolling genre (Live page, ``genrelab record --live``) with a *span* model: each window goes to the model with
its left context (the columns before it, as far as the input goes), scaled as one span, through ``predict_span``.

A random-weight full-size musicnn span net exported to real ONNX, run by ONNX Runtime; the recorder is real but
never opens a stream (the test writes the audio callback's blocks into its ring, as tests/test_record.py does).
"""

from __future__ import annotations

import time

import numpy as np
import pytest

pytest.importorskip("torch")

from genrelab.audio.record import InputDevice, Recorder  # noqa: E402
from genrelab.audio.record_live import LiveAnalyser  # noqa: E402
from genrelab.audio.synthesis import music_like  # noqa: E402
from genrelab.dsp import model_inputs, track_features  # noqa: E402
from genrelab.dsp import windows as dsp_windows  # noqa: E402
from genrelab.dsp.streaming import WindowSchedule  # noqa: E402
from genrelab.model.engine import OnnxEngine  # noqa: E402
from genrelab.model.span import context_columns  # noqa: E402
from tests.modelfiles import export_random_span_model  # noqa: E402


@pytest.fixture(scope="module")
def span_engine(tmp_path_factory) -> OnnxEngine:
    path = export_random_span_model(tmp_path_factory.mktemp("live_span") / "span.onnx")
    return OnnxEngine(path, device="cpu", threads=1)


@pytest.fixture(autouse=True)
def _journal(tmp_path, monkeypatch):
    monkeypatch.setenv("GENRELAB_TAKE_JOURNAL", str(tmp_path / "journal"))


def _expected(engine: OnnxEngine, db: np.ndarray, start: int) -> tuple[np.ndarray, np.ndarray]:
    """(span answer, window-alone answer) for the window at column ``start`` of a whole track's dB columns,
    computed here from the track's features: the left context as far as the track goes, no right context."""
    spec = engine.card.spec
    first = max(0, start - context_columns(engine.card))
    span = dsp_windows.scale(db[None, :, first : start + spec.window_columns], spec)[:, None]
    probs, _ = engine.predict_span(np.ascontiguousarray(span), np.array([start - first], np.int64))
    alone = engine.predict(model_inputs(db[None, :, start : start + spec.window_columns], spec))
    return probs[0], alone[0]


def test_live_span_model_gets_each_window_with_its_left_context(span_engine):
    spec = span_engine.card.spec
    assert span_engine.is_span
    device = InputDevice(0, "test input", 1, spec.sr, "test", 0)  # the model's rate: no resampler in between
    y = music_like(8.0, spec.sr, seed=3)
    analyser = LiveAnalyser(Recorder(device), start_frame=0, engine=span_engine, hop_s=0.5)
    block = spec.sr // 4
    for i in range(0, len(y), block):  # a quarter second at a time, the worker caught up before the next
        analyser.recorder.ring.write(y[i : i + block, None])
        analyser.step()
        end = time.monotonic() + 20
        while analyser.worker._pending is not None or len(analyser.estimates) + analyser.skipped < analyser.next_window:
            assert time.monotonic() < end and analyser.worker.error is None, analyser.worker.error
            time.sleep(0.005)
    analyser.stop(drain=True)
    assert analyser.worker.error is None
    assert analyser.skipped == 0 and len(analyser.estimates) == analyser.next_window >= 9

    db = track_features(y, spec).db
    schedule = WindowSchedule(spec, 0.5)
    context = context_columns(span_engine.card)
    with_full_context = 0
    for estimate in analyser.estimates:
        start = schedule.start(estimate.index)
        expected, alone = _expected(span_engine, db, start)
        np.testing.assert_allclose(estimate.probs, expected, atol=1e-5, rtol=0)
        if start >= context:  # the whole context was there: the answer is not the window's alone
            with_full_context += 1
            assert np.abs(estimate.probs - alone).max() > 1e-3
    assert with_full_context >= 5


def test_live_span_model_newest_window_wins_and_every_window_is_counted(span_engine):
    spec = span_engine.card.spec
    device = InputDevice(0, "test input", 2, 44100, "test", 0)
    analyser = LiveAnalyser(Recorder(device), start_frame=0, engine=span_engine, hop_s=0.1)
    y = music_like(20.0, 44100, seed=4)
    analyser.recorder.ring.write(np.stack([y, y], axis=1))  # 20 s at once: ~170 windows due at the same time
    analyser.step()
    analyser.stop(drain=True)
    due = analyser.next_window
    assert analyser.worker.error is None
    assert due > 150
    assert len(analyser.estimates) + analyser.skipped == due
    assert analyser.estimates[-1].index == due - 1  # the newest window is always the one computed
    # ... and it came with its full left context: the history holds the context too
    assert analyser.model_columns.history >= spec.window_columns + context_columns(span_engine.card)


def test_stopping_without_waiting_delivers_no_more_answers(span_engine):
    """A page that closes stops the worker without waiting: the window being computed (~80 ms with a span model)
    and the waiting one must not reach a receiver that may be gone."""
    import threading

    from genrelab.audio.record_live import GenreWorker

    spec = span_engine.card.spec
    span = np.random.default_rng(0).normal(-40, 10, (spec.n_bins, spec.window_columns + 17)).astype(np.float32)
    release, first_done = threading.Event(), threading.Event()
    results: list[int] = []

    def on_result(estimate) -> None:  # noqa: ANN001 - holds the worker on its first answer
        results.append(estimate.index)
        first_done.set()
        release.wait(10.0)

    worker = GenreWorker(span_engine, on_result)
    worker.submit(0, span, 1.5, 0.0)
    assert first_done.wait(10.0)
    worker.submit(1, span, 2.0, 0.5)  # waits while window 0's answer is being handed out
    stopper = threading.Thread(target=worker.stop, kwargs={"wait": False})
    stopper.start()
    time.sleep(0.05)
    assert stopper.is_alive()  # stop() returns only once the answer being handed out is done
    release.set()
    stopper.join(10.0)
    assert not stopper.is_alive()
    time.sleep(0.3)
    assert results == [0] and worker.skipped == 1 and worker.error is None

    # a window in flight when stop() comes: its answer is dropped, never delivered after stop() returned
    worker = GenreWorker(span_engine, lambda e: results.append(e.index))
    for k in range(5):
        worker.submit(10 + k, span, 1.5, 0.0)
        time.sleep(0.02 * k)
    worker.stop(wait=False)
    delivered = list(results)
    time.sleep(0.5)
    assert results == delivered and worker.error is None
