"""Live analysis of a recorder's input: level, waveform envelope, spectrogram columns and a rolling genre.

A :class:`LiveAnalyser` thread drains the recorder's ring buffer every 10 ms (its own reader position: the take
writer is not disturbed), downmixes, and feeds

* display :class:`~genrelab.dsp.streaming.StreamingColumns` at the device's rate (STFT, Mel: any spec), handed
  to ``on_columns`` as they are made;
* the model's columns: the same streaming soxr resampler :func:`genrelab.audio.load` uses, then the model card's
  `FeatureSpec`. Every ``hop_s`` a window of the last ``window_s`` seconds goes to a :class:`GenreWorker`, at
  the same columns :func:`genrelab.analysis.analyse` would use on the take: for a window model the rolling
  estimates equal the take's analysis. A *span* model (:attr:`~genrelab.model.engine.Engine.is_span`) gets the
  window with its left context (:func:`genrelab.model.span.live_span_first`: the columns before it, as far as the
  take has them), scaled as one span; it has no right context (nothing after the newest window has been played
  yet: the model sees it as a track's last window), so its estimates are close to, not equal to, the analysis
  of the whole take.

The worker runs one window at a time and holds at most one waiting; a newer window replaces the waiting one
(counted in ``skipped``), so a slow model never builds a queue and the estimate never lags behind.
No Qt here: the GUI and ``genrelab record --live`` both use it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from genrelab.audio.decode import downmix, stream_resampler
from genrelab.dsp.spec import FeatureSpec
from genrelab.dsp.streaming import StreamingColumns, WindowSchedule
from genrelab.dsp.windows import model_inputs
from genrelab.model.span import context_columns, live_span_first, live_span_input

if TYPE_CHECKING:
    from genrelab.audio.record import Recorder
    from genrelab.model.engine import Engine

CLIP_LEVEL = 0.999  # |sample| at or above this lights the clip light
ENVELOPE_POINTS = 12000  # min/max pairs across the waveform history (5 ms each over a minute)
ColumnsFn = Callable[[str, FeatureSpec, float, int, np.ndarray], None]


@dataclass(eq=False)
class GenreEstimate:
    """The model's answer for window ``index``: centre and first-column times (s since the analyser's origin)."""

    index: int
    time: float
    start: float
    probs: np.ndarray
    labels: list[str]
    computed_at: float  # time.monotonic() when the model answered

    @property
    def top(self) -> tuple[str, float]:
        i = int(np.argmax(self.probs))
        return self.labels[i], float(self.probs[i])


class GenreWorker:
    """Runs ``engine`` on one window at a time in its own thread; at most one window waits (newest wins).

    A window model gets the window alone; a span model (``engine.is_span``) gets a live span that ends with the
    window (its left context first, :func:`genrelab.model.span.live_span_input`).
    """

    def __init__(self, engine: Engine, on_result: Callable[[GenreEstimate], None] | None = None) -> None:
        self.engine = engine
        self.labels = list(engine.card.labels)
        self.span = bool(engine.is_span)
        self.on_result = on_result
        self.skipped = 0
        self.computed = 0
        self.busy_s = 0.0
        self._pending: tuple | None = None
        self._cond = threading.Condition()
        self._stopped = False
        self._discard = False  # stopped without waiting: no answer is delivered any more
        self._deliver = threading.RLock()  # held while ``on_result`` runs
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, name="genrelab-genre-worker", daemon=True)
        self._thread.start()

    def submit(self, index: int, window_db: np.ndarray, centre: float, start: float) -> None:
        """Queue window ``index`` (bins, columns) dB; replaces (skips) a window still waiting.

        For a span model ``window_db`` is the live span: the window's left context, then the window (its last
        ``window_columns`` columns)."""
        with self._cond:
            if self._pending is not None:
                self.skipped += 1
            self._pending = (index, window_db, centre, start)
            self._cond.notify()

    def stop(self, wait: bool = True) -> None:
        """Finish the window being computed and the waiting one, then end the thread (``wait``); without
        ``wait``, drop the waiting window (counted as skipped) and the answer being computed: once this returns,
        ``on_result`` is not called again (its receiver may be gone, e.g. a closed page)."""
        with self._cond:
            self._stopped = True
            if not wait:
                self._discard = True
                if self._pending is not None:
                    self._pending = None
                    self.skipped += 1
            self._cond.notify()
        if wait:
            self._thread.join(10.0)
        else:
            with self._deliver:  # an answer being handed out right now finishes first
                pass

    def _run(self) -> None:
        spec = self.engine.card.spec
        while True:
            with self._cond:
                while self._pending is None and not self._stopped:
                    self._cond.wait()
                if self._pending is None:
                    return
                index, window_db, centre, start = self._pending
                self._pending = None
            t = time.perf_counter()
            try:
                if self.span:  # left context + window, scaled as one span; no right context (not played yet)
                    x, starts = live_span_input(window_db, spec)
                    probs = self.engine.predict_span(x, starts)[0][0]
                else:
                    probs = self.engine.predict(model_inputs(window_db[None], spec))[0]
            except Exception as exc:  # noqa: BLE001 - a broken model must not kill the recording
                self.error = f"the genre model failed: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                continue
            self.busy_s += time.perf_counter() - t
            self.computed += 1
            estimate = GenreEstimate(index, centre, start, np.asarray(probs, np.float32), self.labels,
                                     time.monotonic())
            with self._deliver:
                if self._discard:
                    return
                if self.on_result is not None:
                    self.on_result(estimate)


class Envelope:
    """Min/max pairs of the last ``seconds`` of a mono signal, ``bin_frames`` samples per pair."""

    def __init__(self, rate: int, seconds: float, points: int = ENVELOPE_POINTS) -> None:
        self.rate = rate
        self.bin_frames = max(1, int(math.ceil(seconds * rate / points)))
        self.size = int(math.ceil(seconds * rate / self.bin_frames)) + 1
        self.mins = np.zeros(self.size, np.float32)
        self.maxs = np.zeros(self.size, np.float32)
        self.bins = 0  # complete bins so far
        self._carry = np.zeros(0, np.float32)

    def push(self, mono: np.ndarray) -> None:
        data = np.concatenate([self._carry, mono]) if len(self._carry) else mono
        full = len(data) // self.bin_frames
        if full:
            blocks = data[: full * self.bin_frames].reshape(full, self.bin_frames)
            idx = (self.bins + np.arange(full)) % self.size
            self.mins[idx] = blocks.min(axis=1)
            self.maxs[idx] = blocks.max(axis=1)
            self.bins += full
        self._carry = np.array(data[full * self.bin_frames :], np.float32)

    def points(self, seconds: float) -> tuple[np.ndarray, np.ndarray]:
        """(x seconds, y) of the last ``seconds``, as min/max pairs (draw as one connected line)."""
        n = min(self.bins, self.size, int(math.ceil(seconds * self.rate / self.bin_frames)))
        first = self.bins - n
        idx = np.arange(first, self.bins) % self.size
        centres = (np.arange(first, self.bins) + 0.5) * (self.bin_frames / self.rate)
        y = np.empty(2 * n, np.float32)
        y[0::2] = self.mins[idx]
        y[1::2] = self.maxs[idx]
        return np.repeat(centres, 2), y


class LiveAnalyser:
    """Drains ``recorder``'s ring from ``start_frame`` on: levels, waveform envelope, display columns, genre.

    Times are seconds since ``start_frame``. ``display`` maps a name to a display `FeatureSpec` at the device's
    rate; ``on_columns(name, spec, origin_s, first_column, db)`` receives the new columns (on this thread; column 0 of
    a display is at ``origin_s``: :meth:`set_display` starts new displays mid-stream). With an ``engine``,
    ``estimates`` grows by one `GenreEstimate` per hop (minus skipped windows); ``on_estimate`` is called with
    each (on the worker's thread).
    """

    def __init__(self, recorder: Recorder, *, start_frame: int | None = None, engine: Engine | None = None,
                 hop_s: float = 0.5, history_s: float = 10.0, display: dict[str, FeatureSpec] | None = None,
                 on_columns: ColumnsFn | None = None, on_estimate: Callable[[GenreEstimate], None] | None = None,
                 interval_s: float = 0.01) -> None:
        self.recorder = recorder
        self.ring = recorder.ring
        self.rate = recorder.rate
        self.start_frame = recorder.frames if start_frame is None else start_frame
        self.pos = self.start_frame
        self.frames = 0  # frames analysed
        self.lost_frames = 0
        self.history_s = history_s
        self.interval_s = interval_s
        self.envelope = Envelope(self.rate, history_s)
        self.on_columns = on_columns
        self.display: dict[str, StreamingColumns] = {}
        self.display_origin_s = 0.0
        self._new_display: dict[str, FeatureSpec] | None = dict(display or {})
        self.peak = np.zeros(recorder.channels, np.float32)  # since the last take_levels()
        self.clipped = 0  # blocks with a clipped sample
        self.estimates: list[GenreEstimate] = []
        self._on_estimate = on_estimate
        self.engine = engine
        self.worker: GenreWorker | None = None
        self.hop_s = hop_s
        if engine is not None:
            spec = engine.card.spec
            self.model_spec = spec
            #: columns a span model needs before each window (0 for a window model)
            self.context = context_columns(engine.card) if engine.is_span else 0
            self.model_columns = StreamingColumns(spec, 2 * spec.window_columns + int(2 * hop_s / spec.column_seconds)
                                                  + self.context)
            self.schedule = WindowSchedule(spec, hop_s)
            self._resampler = stream_resampler(self.rate, spec.sr)
            self.next_window = 0
            self.worker = GenreWorker(engine, self._estimate)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="genrelab-live-analyser", daemon=True)

    # ---- control ---------------------------------------------------------------------------------------
    def start(self) -> LiveAnalyser:
        self._thread.start()
        return self

    def stop(self, drain: bool = True) -> None:
        """Stop the thread (after analysing what the ring holds, with ``drain``) and the genre worker."""
        self._drain_on_stop = drain
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10.0)
        if self.worker is not None:
            self.worker.stop(wait=drain)

    @property
    def seconds(self) -> float:
        return self.frames / self.rate

    def set_display(self, display: dict[str, FeatureSpec]) -> None:
        """Replace the display specs (new settings): the new displays start with the next block."""
        self._new_display = dict(display)

    @property
    def skipped(self) -> int:
        return self.worker.skipped if self.worker else 0

    def take_levels(self) -> tuple[np.ndarray, bool]:
        """(peak |sample| per channel since the last call, whether anything clipped since then)."""
        with self._lock:
            peak, clipped = self.peak.copy(), self.clipped > 0
            self.peak[:] = 0
            self.clipped = 0
        return peak, clipped

    def waveform(self, seconds: float) -> tuple[np.ndarray, np.ndarray]:
        """Envelope points of the last ``seconds``."""
        with self._lock:
            return self.envelope.points(seconds)

    # ---- the thread ----------------------------------------------------------------------------------------
    def _estimate(self, estimate: GenreEstimate) -> None:
        self.estimates.append(estimate)
        if self._on_estimate is not None:
            self._on_estimate(estimate)

    def _run(self) -> None:
        while True:
            stopping = self._stop.wait(self.interval_s)
            self.step()
            if stopping:
                return

    def step(self) -> int:
        """Analyse whatever is new in the ring; returns the number of frames taken."""
        read = self.ring.read(self.pos)
        self.pos = read.end
        self.lost_frames += read.lost
        block = read.frames
        if len(block) == 0:
            return 0
        mono = downmix(block)
        if not np.isfinite(mono).all():
            mono = np.nan_to_num(mono, nan=0.0, posinf=0.0, neginf=0.0)
        peak = np.abs(block).max(axis=0)
        with self._lock:
            np.maximum(self.peak, peak, out=self.peak)
            if float(peak.max()) >= CLIP_LEVEL:
                self.clipped += 1
            self.envelope.push(mono)
        new_display, self._new_display = self._new_display, None
        if new_display is not None:
            self.display_origin_s = self.frames / self.rate
            self.display = {name: StreamingColumns(spec, 8) for name, spec in new_display.items()}
        self.frames += len(block)
        for name, columns in self.display.items():
            first, db = columns.push(mono)
            if db.shape[1] and self.on_columns is not None:
                self.on_columns(name, columns.spec, self.display_origin_s, first, db)
        if self.worker is not None:
            self._model_step(mono)
        return len(block)

    def _model_step(self, mono: np.ndarray) -> None:
        y = self._resampler.resample_chunk(mono, last=False) if self._resampler is not None else mono
        columns = self.model_columns
        columns.push(y)
        schedule = self.schedule
        while schedule.ready(self.next_window, columns.n_columns):
            k = self.next_window
            start = schedule.start(k)
            # a span model's window comes with its left context (as far as the take goes back)
            first = live_span_first(start, self.engine.card) if self.context else start
            if first >= columns.first_kept:
                self.worker.submit(k, columns.columns(first, start + schedule.width), schedule.centre(k),
                                   schedule.first_time(k))
            else:  # fell out of the history before it could be sent: skipped too
                self.worker.skipped += 1
            self.next_window += 1
