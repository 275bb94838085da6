"""`genrelab bench --library`: tagging speed on 4-minute 44.1 kHz MP3s, where the time goes, and the
similar-tracks search on 100,000 tracks (numbers, not asserts)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np


def _decode_stages(path: Path, spec, n_windows: int, repeats: int) -> dict[str, float]:
    """CPU seconds per track of seek + decode and of the whole preparation (run in a decoding process)."""
    from genrelab.dsp.spectrum import n_frames
    from genrelab.library.windowed import _SeekableSource, choose_starts, prepare_track

    def decode_only() -> None:
        with _SeekableSource.open(path) as src:
            n_out = int(src.frames * spec.sr / src.sr)
            frames = spec.column_frames(n_frames(n_out, spec))
            for c in choose_starts(len(frames), spec, n_windows):
                t = frames[c] * spec.hop_length / spec.sr - 0.1 - spec.n_fft / 2 / spec.sr
                src.read(max(0, int(t * src.sr)), int((spec.window_s + 0.3) * src.sr))

    prepared = prepare_track(path, spec, n_windows)
    t_prepare = _best_cpu(lambda: prepare_track(path, spec, n_windows), repeats)
    t_decode = _best_cpu(decode_only, repeats)
    return {"decode_s": t_decode, "features_s": max(0.0, t_prepare - t_decode), "prepare_s": t_prepare,
            "decoded_audio_s": prepared.decoded_s, "mode": prepared.mode}


def _best_cpu(fn, repeats: int) -> float:
    """The least CPU time (all threads of this process) of ``repeats`` calls: what a stage costs, whatever else
    runs on the machine."""
    out = []
    for _ in range(repeats):
        t = time.process_time()
        fn()
        out.append(time.process_time() - t)
    return min(out)


def _stage_times(path: Path, spec, n_windows: int, engine, repeats: int) -> dict[str, float]:
    """CPU seconds per track of each stage, measured where it runs: seek + decode and resample + features in a
    decoding process (single-threaded BLAS, as in a run), the model here."""
    from genrelab.library.pipeline import DecodePool, predict, prepare_track

    workers = DecodePool(1)
    try:
        stages = workers.start().submit(_decode_stages, path, spec, n_windows, repeats).result()
    finally:
        workers.close()
    inputs = prepare_track(path, spec, n_windows).inputs
    predict(engine, inputs)
    stages["model_s"] = _best_cpu(lambda: predict(engine, inputs), repeats)
    return stages


def similar_bench(n: int = 100_000, k: int = 5, dims: int = 10, repeats: int = 5, seed: int = 0,
                  folder: Path | None = None) -> dict[str, float]:
    """Search time over ``n`` synthetic distributions: in memory, and from a store (SQLite read + search)."""
    from genrelab.library.similar import cosine_distance, js_distance, nearest
    from genrelab.library.similar_api import find_similar
    from genrelab.library.store import LibraryStore, TrackResult

    rng = np.random.default_rng(seed)
    dists = rng.dirichlet(np.full(dims, 0.3), size=n).astype(np.float32)
    emb = rng.standard_normal((n, 128)).astype(np.float32)

    def best(fn) -> float:
        out = []
        for _ in range(repeats):
            t = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t)
        return min(out)

    t_js = best(lambda: nearest(js_distance(dists[0], dists), k, np.array([0])))
    t_cos = best(lambda: nearest(cosine_distance(emb[0], emb), k, np.array([0])))
    out = {"tracks": n, "js_search_ms": 1000 * t_js, "cosine_search_ms": 1000 * t_cos}
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        labels = [f"g{i}" for i in range(dims)]
        with LibraryStore(Path(tmp) / "big.sqlite") as store:
            store.add_model("m", "m.onnx", labels, True)
            t = time.perf_counter()
            for i in range(0, n, 10_000):
                store.put_results([TrackResult(f"/music/{j:07d}.mp3", 1, 1, None, True, duration_s=240.0,
                                               mean=dists[j], embedding=emb[j], labels=labels)
                                   for j in range(i, min(n, i + 10_000))], "m", "m:w10")
            out["store_insert_s"] = time.perf_counter() - t
            for by in ("genre", "sound"):
                t = time.perf_counter()
                find_similar(store, 1, k, by=by)  # the first search reads the vectors from SQLite
                out[f"store_similar_{by}_first_ms"] = 1000 * (time.perf_counter() - t)
                out[f"store_similar_{by}_ms"] = 1000 * best(lambda by=by: find_similar(store, 1, k, by=by))
    return out


def run_library_bench(model: Path | None = None, *, tracks: int = 24, windows: int = 10, jobs: int | None = None,
                      threads: int | None = None, quick: bool = False,
                      echo: Callable[[str], None] | None = print) -> dict:
    """Tag ``tracks`` copies of a generated 4-minute 44.1 kHz stereo MP3 with ``windows`` windows each and report
    tracks/s, the time of each stage per track, and the similar-search times on 100,000 tracks."""
    from genrelab.bench import make_track
    from genrelab.library.pipeline import tag_library
    from genrelab.library.store import LibraryStore
    from genrelab.model.engine import OnnxEngine
    from genrelab.model.registry import default_model_path
    from genrelab.model.span import span_window_spec

    say = echo or (lambda _s: None)
    model = Path(model) if model else default_model_path()
    jobs = (os.cpu_count() or 1) if jobs is None else jobs
    minutes = 1.0 if quick else 4.0
    tracks = 4 if quick else tracks
    report: dict = {"model": str(model), "cpu_count": os.cpu_count(), "windows": windows, "jobs": jobs,
                    "track": f"{minutes:g}-min 44.1 kHz stereo MP3 (generated)", "tracks": tracks}
    with tempfile.TemporaryDirectory() as tmp:
        lib = Path(tmp) / "lib"
        lib.mkdir()
        say(f"making a {minutes:g}-minute 44.1 kHz stereo MP3 ...")
        first = make_track(Path(tmp), minutes)
        for i in range(tracks):  # copies: every file is decoded for real, the page cache warm as in a rerun
            shutil.copyfile(first, lib / f"track{i:03d}.mp3")
        engine = OnnxEngine(model, device="cpu", threads=threads or 1)  # as tag_library runs it
        stages = _stage_times(lib / "track000.mp3", span_window_spec(engine.card), windows, engine,
                              1 if quick else 3)
        report["stages_per_track"] = stages
        say(f"CPU time per track: seek+decode {1000 * stages['decode_s']:.0f} ms "
            f"({stages['decoded_audio_s']:.1f} s of audio decoded), resample+features "
            f"{1000 * stages['features_s']:.0f} ms, model ({windows} windows) {1000 * stages['model_s']:.0f} ms")
        with LibraryStore(Path(tmp) / "bench.sqlite") as store:
            summary = tag_library([lib], store, model, n_windows=windows, jobs=jobs, threads=threads)
        report.update(tracks_per_s=summary.tracks_per_s, analyse_s=summary.analyse_s, startup_s=summary.elapsed_s
                      - summary.analyse_s, failed=summary.failed)
        say(f"genrelab tag --windows {windows} --jobs {jobs}: {tracks} tracks in {summary.analyse_s:.2f} s = "
            f"{summary.tracks_per_s:.2f} tracks/s (+ {report['startup_s']:.1f} s start-up)")
        cpu = stages["prepare_s"] + stages["model_s"]
        limit = max(("decoding (seek + decode)", stages["decode_s"]), ("features", stages["features_s"]),
                    ("the model", stages["model_s"]), key=lambda x: x[1])
        cores = os.cpu_count() or 1
        report.update(cpu_s_per_track=cpu, bound_tracks_per_s=cores / cpu, limiting_stage=limit[0])
        say(f"CPU per track {1000 * cpu:.0f} ms -> at most {cores / cpu:.1f} tracks/s on {cores} cores; "
            f"largest stage: {limit[0]} ({100 * limit[1] / cpu:.0f} % of the CPU time)")
        sim = similar_bench(20_000 if quick else 100_000, folder=Path(tmp))
        report["similar"] = sim
        say(f"similar on {sim['tracks']:,} tracks: Jensen-Shannon search {sim['js_search_ms']:.1f} ms, cosine "
            f"(128-d embeddings) {sim['cosine_search_ms']:.1f} ms; find_similar on a store: by genre "
            f"{sim['store_similar_genre_first_ms']:.0f} ms the first time (SQLite read), then "
            f"{sim['store_similar_genre_ms']:.0f} ms; by sound {sim['store_similar_sound_first_ms']:.0f} ms, then "
            f"{sim['store_similar_sound_ms']:.0f} ms")
    return report
