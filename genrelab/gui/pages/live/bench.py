"""``genrelab bench --live``: the Live page recording real audio, measured (printed, not asserted).

The demo track (or ``--audio FILE``) is played with ``paplay`` into a PulseAudio null sink made for the run, and
the Live page records the sink's monitor for ``seconds`` with the installed (or given) model. Printed: frames per
second the STFT view painted, audio-to-screen latency (from the block's arrival in the audio callback to the frame
that shows it, plus the input latency PortAudio reports for its buffer), genre windows computed and skipped, input
dropouts, the GUI thread's longest stall, and the process's CPU use. Runs offscreen when there is no display.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np


def _sink() -> tuple[str, str]:
    """Load a null sink of our own: (sink name, module id)."""
    if shutil.which("pactl") is None or shutil.which("paplay") is None:
        raise RuntimeError("the live benchmark needs PulseAudio's pactl and paplay (packaging/bootstrap.sh test)")
    name = f"genrelab_bench_{os.getpid()}"
    module = subprocess.run(["pactl", "load-module", "module-null-sink", f"sink_name={name}", "rate=44100"],
                            capture_output=True, text=True)
    if module.returncode != 0:
        raise RuntimeError(f"cannot make a PulseAudio null sink ({module.stderr.strip() or 'is PulseAudio running?'})")
    return name, module.stdout.strip()


def run_live_bench(model: Path | None = None, *, seconds: float = 20.0, audio: Path | None = None,
                   echo: Callable[[str], None] | None = print) -> dict:
    """Record ``seconds`` of ``audio`` (default: the demo track) played into a null sink; return the numbers."""
    say = echo or (lambda _s: None)
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.pop("GENRELAB_NO_AUDIO", None)
    from PySide6.QtCore import QSettings

    from genrelab.gui.app import make_application
    from genrelab.gui.bench import StallProbe
    from genrelab.gui.main_window import MainWindow
    from genrelab.gui.settings import Settings
    from genrelab.model.registry import demo_track_path

    audio = Path(audio) if audio else demo_track_path()
    if not audio.exists():
        raise RuntimeError(f"{audio}: no such audio file")
    sink, module = _sink()
    player = None
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GENRELAB_RECORDINGS"] = tmp
        os.environ["GENRELAB_TAKE_JOURNAL"] = str(Path(tmp) / "journal")
        app = make_application(sys.argv[:1])
        window = MainWindow(settings=Settings(QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat)),
                            model=model)
        try:
            window.resize(1600, 1000)
            window.show()
            page = window.show_page("live")

            def wait(condition: Callable[[], bool], timeout: float) -> None:
                end = time.monotonic() + timeout
                while not condition():
                    if time.monotonic() > end:
                        raise RuntimeError("timed out waiting for the Live page")
                    app.processEvents()
                    time.sleep(0.002)

            wait(lambda: window.engine_state.engine is not None and page.panel.device.count() > 0, 120)
            names = [page.panel.device.itemData(i).name for i in range(page.panel.device.count())]
            page.panel.device.setCurrentIndex(names.index(f"{sink}.monitor"))
            player = subprocess.Popen(["paplay", f"--device={sink}", str(audio)])
            page.panel.monitor.click()
            wait(lambda: page.session.analyser is not None, 30)
            wait(lambda: page.session.analyser.seconds > 1.0, 30)  # past the stream's start-up
            engine = window.engine_state.engine
            probe = StallProbe()
            probe.start()
            analyser, recorder = page.session.analyser, page.session.recorder
            paints0, frames0, est0 = page.views.paints.count, page.frames_drawn, len(analyser.estimates)
            skipped0, drop0 = analyser.skipped, recorder.dropouts
            page.latencies.clear()
            cpu0, wall0, gui0 = os.times(), time.monotonic(), time.thread_time()
            wait(lambda: time.monotonic() - wall0 >= seconds, seconds + 30)
            cpu1, wall, gui_cpu = os.times(), time.monotonic() - wall0, time.thread_time() - gui0
            stalls = probe.stop()
            worker = analyser.worker
            report = {
                "audio": str(audio), "seconds": round(wall, 2), "model": engine.card.name if engine else None,
                "engine": engine.description if engine else None, "cpu_count": os.cpu_count(),
                "fps": (page.views.paints.count - paints0) / wall,
                "timer_frames_per_s": (page.frames_drawn - frames0) / wall,
                "latency_ms_median": 1000 * float(np.median(page.latencies)) if page.latencies else None,
                "latency_ms_p95": 1000 * float(np.percentile(page.latencies, 95)) if page.latencies else None,
                "portaudio_input_latency_ms": 1000 * recorder.latency,
                "genre_windows": len(analyser.estimates) - est0,
                "genre_windows_skipped": analyser.skipped - skipped0,
                "model_ms_per_window": 1000 * worker.busy_s / max(worker.computed, 1) if worker else None,
                "dropouts": recorder.dropouts - drop0,
                "gui_max_stall_ms": stalls["max_stall_ms"],
                "cpu_percent_of_one_core": 100 * ((cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)) / wall,
                "gui_thread_cpu_percent": 100 * gui_cpu / wall,
                "load_average_1min": os.getloadavg()[0],
            }
            painted = page.views.paints.count - paints0
            report["gui_cpu_ms_per_frame"] = 1000 * gui_cpu / max(painted, 1)
            # the latencies are measured to the timer's frame, so subtract nothing; the PortAudio buffer is the
            # worst case a sample may wait before its block is delivered
            report["latency_ms_worst_case"] = (report["latency_ms_p95"] or 0) + report["portaudio_input_latency_ms"]
        finally:
            page = window.pages.get("live")
            if page is not None:
                page.shutdown()
            window.close()
            if player is not None:
                player.terminate()
            subprocess.run(["pactl", "unload-module", module], capture_output=True)
    say(f"live page, {report['seconds']:.0f} s of {Path(report['audio']).name} played into a null sink, "
        f"model {report['model']} ({report['engine']}), {report['cpu_count']} CPUs")
    say(f"views        {report['fps']:6.1f} frames/s painted (timer {report['timer_frames_per_s']:.1f}/s, goal >= 30)")
    if report["latency_ms_median"] is not None:
        say(f"latency      {report['latency_ms_median']:6.1f} ms median, {report['latency_ms_p95']:.1f} ms p95 from the "
            f"audio callback to the screen (+ up to {report['portaudio_input_latency_ms']:.0f} ms in PortAudio's input "
            "buffer)")
    say(f"genre        {report['genre_windows']} windows, {report['genre_windows_skipped']} skipped "
        f"({report['model_ms_per_window']:.1f} ms per window)" if report["model_ms_per_window"] is not None
        else "genre        no model")
    say(f"dropouts     {report['dropouts']}")
    say(f"GUI          longest stall {report['gui_max_stall_ms']:.1f} ms")
    say(f"CPU          {report['cpu_percent_of_one_core']:.0f} % of one core (the whole app); GUI thread "
        f"{report['gui_thread_cpu_percent']:.0f} %, {report['gui_cpu_ms_per_frame']:.1f} ms CPU per frame "
        f"(system load average {report['load_average_1min']:.1f} on {report['cpu_count']} CPUs)")
    return report
