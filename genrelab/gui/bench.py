"""Responsiveness of the Analyse page (printed, not asserted): ``python -m genrelab.gui.bench --model M``.

* A 5-ms QTimer probe records the GUI event loop's longest stall while a 10-minute file is decoded and analysed.
* Open -> first waveform on screen (the waveform plot's next paint after the data arrive) and Open -> full
  timeline, for a 4-minute MP3.

Runs offscreen when there is no display. The app is warmed up first (model loaded, core imported), as it is
when a user opens a file in a running window.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


class StallProbe:
    """A QTimer firing every ``interval_ms``: the gaps between its ticks, less the interval, are the stalls."""

    def __init__(self, interval_ms: int = 5) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.interval_s = interval_ms / 1000
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[float] = []
        self._last = 0.0

    def start(self) -> None:
        self.gaps.clear()
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> dict[str, float]:
        self.timer.stop()
        stalls = np.maximum(np.array(self.gaps or [0.0]) - self.interval_s, 0.0) * 1000
        return {"max_stall_ms": float(stalls.max()), "p99_stall_ms": float(np.percentile(stalls, 99)),
                "ticks": len(self.gaps)}

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self._last = now


def _wait(app, condition, timeout_s: float = 600.0) -> bool:  # noqa: ANN001
    end = time.perf_counter() + timeout_s
    while not condition():
        if time.perf_counter() > end:
            return False
        app.processEvents()
        time.sleep(0.001)
    return True


def run_gui_bench(model: Path | None = None, *, long_minutes: float = 10.0, mp3_minutes: float = 4.0,
                  folder: Path | None = None, echo=print) -> dict:  # noqa: ANN001
    """Measure and print; returns the numbers as a dict."""
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY") and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ.setdefault("GENRELAB_NO_AUDIO", "1")
    from PySide6.QtCore import QEvent, QObject, QSettings

    from genrelab.bench import make_track
    from genrelab.gui.app import make_application
    from genrelab.gui.main_window import MainWindow
    from genrelab.gui.settings import Settings

    app = make_application()
    work = Path(folder or tempfile.mkdtemp(prefix="genrelab-gui-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    echo(f"writing test tracks in {work} …")
    long_track = work / f"bench_{long_minutes:g}min.flac"
    if not long_track.exists():
        long_track = make_track(work, long_minutes, fmt="flac")
    mp3 = work / f"bench_{mp3_minutes:g}min.mp3"
    if not mp3.exists():
        mp3 = make_track(work, mp3_minutes, fmt="mp3")

    settings = Settings(QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow(settings=settings, model=model)
    window.resize(1600, 1000)
    window.show()
    page = window.page
    _wait(app, lambda: not window.engine_state.loading and not window.runner.active())
    echo(f"engine: {window.engine_state.status}")
    results: dict[str, object] = {"engine": window.engine_state.status}

    # ---- event-loop stalls while a long file is analysed ----------------------------------------------
    probe = StallProbe(5)
    done: dict[str, float] = {}
    page.analysis_ready.connect(lambda _a: done.setdefault("timeline", time.perf_counter()))
    probe.start()
    t0 = time.perf_counter()
    window.open_file(long_track)
    _wait(app, lambda: page.track is not None and not page.busy())
    stalls = probe.stop()
    results["long_file"] = {"minutes": long_minutes, "seconds_to_idle": time.perf_counter() - t0,
                            "seconds_to_timeline": done.get("timeline", float("nan")) - t0, **stalls}
    echo(f"{long_minutes:g}-min FLAC: longest event-loop stall {stalls['max_stall_ms']:.1f} ms "
         f"(p99 {stalls['p99_stall_ms']:.1f} ms, {stalls['ticks']} ticks); timeline after "
         f"{results['long_file']['seconds_to_timeline']:.2f} s, everything after "
         f"{results['long_file']['seconds_to_idle']:.2f} s")

    # ---- open -> first waveform on screen -> full timeline for an MP3 ----------------------------------
    marks: dict[str, float] = {}

    class PaintWatch(QObject):
        def eventFilter(self, obj, event) -> bool:  # noqa: ANN001, N802 - Qt's name
            if event.type() == QEvent.Type.Paint and page.waveform.pyramid is not None and "wave" not in marks \
                    and page.path == mp3:
                marks["wave"] = time.perf_counter()
            return False

    watch = PaintWatch()
    page.waveform.viewport().installEventFilter(watch)
    page.analysis_ready.connect(lambda _a: marks.setdefault("timeline", time.perf_counter()))
    probe.start()
    t0 = time.perf_counter()
    window.open_file(mp3)
    _wait(app, lambda: page.track is not None and page.analysis is not None and not page.busy())
    stalls = probe.stop()
    t_end = time.perf_counter()
    results["mp3"] = {"minutes": mp3_minutes, "open_to_waveform_s": marks.get("wave", float("nan")) - t0,
                      "open_to_timeline_s": marks.get("timeline", float("nan")) - t0,
                      "open_to_idle_s": t_end - t0, **stalls}
    m = results["mp3"]
    echo(f"{mp3_minutes:g}-min MP3: Open -> first waveform on screen {m['open_to_waveform_s']:.2f} s; "
         f"-> full timeline {m['open_to_timeline_s']:.2f} s; -> spectrograms too {m['open_to_idle_s']:.2f} s "
         f"(longest stall {m['max_stall_ms']:.1f} ms)")
    window.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m genrelab.gui.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="ONNX model (default: the installed model)")
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the long file (default 10)")
    parser.add_argument("--mp3-minutes", type=float, default=4.0, help="length of the MP3 (default 4)")
    parser.add_argument("--folder", type=Path, help="where to write (and reuse) the test tracks")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON at the end")
    args = parser.parse_args(argv)
    results = run_gui_bench(args.model, long_minutes=args.minutes, mp3_minutes=args.mp3_minutes,
                            folder=args.folder)
    if args.json:
        print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
