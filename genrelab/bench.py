"""`genrelab bench`: decode, feature, model and end-to-end speed on generated audio (numbers, not asserts)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from genrelab.audio import load
from genrelab.audio.synthesis import music_like
from genrelab.errors import ModelError


def best_time(fn: Callable[[], object], repeats: int, budget_s: float | None = None) -> float:
    """The shortest wall time of ``repeats`` calls of ``fn`` (seconds); with ``budget_s``, stop repeating once
    that much time is spent (a slow model is timed fewer times, never less than once)."""
    times = []
    spent = 0.0
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
        spent += times[-1]
        if budget_s is not None and spent >= budget_s:
            break
    return min(times)


def make_track(folder: Path, minutes: float = 4.0, sr: int = 44100, fmt: str = "mp3") -> Path:
    """Write a stereo music-like track of ``minutes`` (mp3 or flac), written in 30-s blocks."""
    import soundfile as sf

    path = folder / f"bench_{minutes:g}min.{fmt}"
    block_s = 30.0
    fmt_args = {"format": "MP3", "subtype": "MPEG_LAYER_III"} if fmt == "mp3" else {"format": "FLAC"}
    with sf.SoundFile(path, "w", samplerate=sr, channels=2, **fmt_args) as fh:
        done = 0.0
        seed = 0
        while done < minutes * 60 - 1e-6:
            seconds = min(block_s, minutes * 60 - done)
            fh.write(music_like(seconds, sr, seed=seed, channels=2, root_hz=196.0 + 20 * (seed % 5)))
            done += seconds
            seed += 1
    return path


def _peak_rss_child(model: Path, audio: Path) -> tuple[float, float]:
    """Analyse ``audio`` in a fresh process; (peak RSS MB, seconds)."""
    code = (
        "import resource,sys,time;from genrelab.analysis import analyse_file;"
        "from genrelab.model.engine import OnnxEngine;e=OnnxEngine(sys.argv[1]);t=time.perf_counter();"
        "a=analyse_file(sys.argv[2],e);print(time.perf_counter()-t,"
        "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(model), str(audio)], capture_output=True, text=True,
                         check=True).stdout.split()
    return float(out[1]), float(out[0])


def run_benchmarks(model: Path | None = None, *, threads: int | None = None, quick: bool = False,
                   long: bool = False, echo: Callable[[str], None] | None = print) -> dict:
    """Measure and return the numbers (and print them through ``echo``).

    Without ``model`` (and without $GENRELAB_MODEL): every shipped model in turn; the result is the default
    model's numbers with ``"models"``, the list of every model's numbers, added.
    """
    import os as _os

    from genrelab.model.registry import ENV_MODEL, shipped_models

    if model is None and not _os.environ.get(ENV_MODEL) and len(shipped_models()) > 1:
        say = echo or (lambda _s: None)
        reports = []
        for path in shipped_models():
            say(f"---- {path.name}")
            reports.append(_run_one(path, threads=threads, quick=quick, long=long, echo=echo))
        return {**reports[0], "models": reports}
    return _run_one(model, threads=threads, quick=quick, long=long, echo=echo)


def _run_one(model: Path | None, *, threads: int | None, quick: bool, long: bool,
             echo: Callable[[str], None] | None) -> dict:
    from genrelab.analysis import analyse_file
    from genrelab.dsp import model_inputs, track_features, window_starts
    from genrelab.dsp import windows as dsp_windows
    from genrelab.model.engine import OnnxEngine, TorchEngine
    from genrelab.model.registry import default_model_path
    from genrelab.model.span import span_predict

    say = echo or (lambda _s: None)
    model = Path(model) if model else default_model_path()
    repeats = 1 if quick else 3
    report: dict = {"model": str(model), "cpu_count": os.cpu_count(), "backends": {}}
    engines = {"onnx": OnnxEngine(model, device="auto", threads=threads)}
    try:
        import torch  # noqa: F401

        engines["torch"] = TorchEngine(model, device="auto", threads=threads)
    except ImportError:
        say("torch not installed: torch backend skipped")
    except ModelError as exc:  # e.g. an int8 model: its quantised weights do not rebuild a torch net
        say(f"torch backend skipped: {exc}")
    spec = engines["onnx"].card.spec
    say(f"model {model.name}: {engines['onnx'].card.architecture}, input {spec.model_input_shape}")

    with tempfile.TemporaryDirectory() as tmp:
        track_min = 1.0 if quick else 4.0  # --quick is a smoke test: a 4-min track takes ~20 s to make
        track = make_track(Path(tmp), track_min)
        t_decode = best_time(lambda: load(track, sr=spec.sr), repeats)
        audio = load(track, sr=spec.sr)
        minutes = audio.duration_s / 60
        t_feat = best_time(lambda: track_features(audio.samples, spec), repeats)
        feats = track_features(audio.samples, spec)
        starts = window_starts(feats.n_columns, spec, 0.5)
        report.update(decode_ms_per_min=1000 * t_decode / minutes, features_ms_per_min=1000 * t_feat / minutes,
                      track=f"{track_min:g}-min 44.1 kHz stereo MP3 (generated)", windows=int(len(starts)))
        say(f"decode   {report['decode_ms_per_min']:8.1f} ms per minute of audio (MP3 44.1 kHz stereo -> {spec.sr} mono)")
        say(f"features {report['features_ms_per_min']:8.1f} ms per minute of audio")
        for name, engine in engines.items():
            row: dict = {"device": engine.description}
            for batch in (1, 16, 64):
                x = model_inputs(dsp_windows.cut(feats.db, starts[:batch], spec), spec)
                engine.predict(x)  # warm-up
                n_rep = max(1, (repeats * 64) // batch // (4 if quick else 1))
                t = best_time(lambda x=x, e=engine: e.predict(x), n_rep, budget_s=5.0)
                row[f"windows_per_s_batch{batch}"] = batch / t

            def run_model(e=engine) -> None:  # the model's part of the analysis: batches of ~32 windows
                if e.is_span:  # or spans of the track, its front end once per span
                    span_predict(e, feats.db, starts)
                    return
                for s in np.array_split(starts, max(1, len(starts) // 32)):
                    e.predict(model_inputs(dsp_windows.cut(feats.db, s, spec), spec))

            t_model = best_time(run_model, repeats, budget_s=10.0)  # a slow model: timed once
            t_e2e = best_time(lambda e=engine: analyse_file(track, e, 0.5), repeats, budget_s=10.0)
            row.update(end_to_end_s=t_e2e, model_s=t_model, model_share=t_model / t_e2e)
            report["backends"][name] = row
            alone = " (each window alone, without the span's context)" if engine.is_span else ""
            say(f"{name:6s} {engine.description}{alone}: " + ", ".join(
                f"batch {b}: {row[f'windows_per_s_batch{b}']:.0f} windows/s" for b in (1, 16, 64)))
            say(f"{name:6s} end-to-end {track_min:g}-min track at hop 0.5 s ({len(starts)} windows): {t_e2e:.2f} s "
                f"(model {t_model:.2f} s = {100 * t_model / t_e2e:.0f} %)")
        if long:
            big = make_track(Path(tmp), 60.0, fmt="flac")
            rss, secs = _peak_rss_child(model, big)
            report.update(long_track_peak_rss_mb=rss, long_track_s=secs)
            say(f"60-min 44.1 kHz stereo FLAC: analysed in {secs:.1f} s, peak RSS {rss:.0f} MB")
    return report
