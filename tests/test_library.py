"""The library: scan, windowed decoding, the store, incremental runs, kill -9 and resume, locking, exports,
`genrelab tag` and `genrelab similar` on a generated library (real files, real SQLite, real ONNX Runtime)."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import audiofiles as af
import numpy as np
import pytest
from libraryfiles import BAD, GOOD, N_BAD, N_GOOD, make_library, write_track

from genrelab.analysis import analyse_file
from genrelab.dsp import GTZAN_IMAGE_STRIDE, FeatureSpec, cut, model_inputs, window_centres
from genrelab.errors import GenreLabError
from genrelab.library import LibraryLocked, LibraryStore, find_similar, tag_library
from genrelab.library.pipeline import analysis_key, model_id_of
from genrelab.library.scan import scan
from genrelab.library.similar import js_distance, nearest, search
from genrelab.library.store import TrackResult
from genrelab.library.windowed import _prepare_whole, choose_starts, prepare_track
from genrelab.model.engine import OnnxEngine

REPO = Path(__file__).resolve().parents[1]
SPEC = FeatureSpec(frame_stride=GTZAN_IMAGE_STRIDE)


def genrelab(*args: object, timeout: float = 300, **kw) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "GENRELAB_MODEL"}
    return subprocess.run([sys.executable, "-m", "genrelab", *map(str, args)], capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=timeout, **kw)


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    return make_library(tmp_path_factory.mktemp("lib") / "Music")


@pytest.fixture(scope="module")
def tagged(library, tiny_model, tmp_path_factory):
    """The library tagged once, in this process (2 decoding processes); (db path, summary)."""
    db = tmp_path_factory.mktemp("db") / "lib.sqlite"
    with LibraryStore(db) as store:
        summary = tag_library([library], store, tiny_model, n_windows=3, jobs=2)
    return db, summary


# ---- scan ------------------------------------------------------------------------------------------------
def test_scan_counts_skips_hidden_guards_loops_and_counts_linked_files_once(library):
    found = scan([library])
    names = sorted(os.path.relpath(f.path, library) for f in found.files)
    assert names == sorted([*GOOD, *BAD, "sub/readonly.flac"])
    assert found.loops == 1 and found.duplicates == 1
    assert found.skipped_other == 1 and found.skipped_hidden == 2


# ---- decoding only the windows ---------------------------------------------------------------------------
@pytest.mark.parametrize("ext, sr", [("wav", 22050), ("flac", 44100), ("mp3", 44100), ("ogg", 48000)])
def test_windowed_decode_gives_the_whole_track_features(tmp_path, ext, sr):
    """Seeking to K windows gives the model inputs the whole decoded track gives for the same windows."""
    path = write_track(tmp_path / f"t.{ext}", 40.0, seed=3, sr=sr)
    seek = prepare_track(path, SPEC, 4)
    whole = _prepare_whole(path, SPEC, 4)
    assert seek.mode == "windows" and whole.mode == "whole"
    assert seek.decoded_s < 0.5 * whole.decoded_s
    assert seek.inputs.shape == whole.inputs.shape == (4, *SPEC.model_input_shape)
    np.testing.assert_allclose(seek.times, whole.times)
    assert np.abs(seek.inputs - whole.inputs).max() < 1e-3


def test_windowed_inputs_are_those_of_analyse(tmp_path, tiny_model):
    """The windows' probabilities equal those of the same windows cut from analyse()'s own features."""
    path = write_track(tmp_path / "t.wav", 40.0, seed=5)
    engine = OnnxEngine(tiny_model)
    seek = prepare_track(path, SPEC, 5)
    full = analyse_file(path, engine, hop_s=0.5)
    starts = choose_starts(full.features.n_columns, SPEC, 5)
    np.testing.assert_allclose(window_centres(full.features.frames, starts, SPEC), seek.times)
    theirs = engine.predict(model_inputs(cut(full.features.db, starts, SPEC), SPEC))
    np.testing.assert_allclose(engine.predict(seek.inputs), theirs, atol=1e-6)


def test_windows_0_is_the_full_timeline(tmp_path, tiny_model):
    path = write_track(tmp_path / "t.flac", 6.0, seed=2)
    with LibraryStore(tmp_path / "db.sqlite") as store:
        tag_library([path], store, tiny_model, n_windows=0, jobs=0)
        row = store.track(str(path))
    full = analyse_file(path, OnnxEngine(tiny_model), hop_s=0.5)
    np.testing.assert_allclose(row.window_times, full.timeline.times, atol=1e-4)
    np.testing.assert_allclose(row.window_probs, full.timeline.probs, atol=2e-3)  # stored as float16
    assert row.analysis.endswith(":full")


def test_choose_starts_spreads_windows():
    starts = choose_starts(1000, SPEC, 10)
    assert len(starts) == 10 and starts[0] > 0 and starts[-1] < 1000 - SPEC.window_columns
    assert np.all(np.diff(starts) > 0)
    assert len(choose_starts(SPEC.window_columns, SPEC, 10)) == 1


# ---- tagging into the store ------------------------------------------------------------------------------
def test_tag_stores_every_file_once_with_failures_and_reasons(tagged, library):
    db, summary = tagged
    assert summary.scanned == N_GOOD + N_BAD and summary.analysed == N_GOOD + N_BAD
    assert summary.failed == N_BAD and summary.new == N_GOOD + N_BAD
    with LibraryStore(db) as store:
        assert store.count("ok") == N_GOOD and store.count("failed") == N_BAD
        reasons = {os.path.basename(r.path): r.error for r in store.failures()}
        for name, needle in BAD.items():
            assert needle in reasons[name], reasons
        row = store.track(str(library / "sub" / "Ünïcode – café 日本.flac"))
        assert row.status == "ok" and row.top_genre in store.labels(row.model_id)
        assert row.window_probs.shape == (3, 10) and abs(float(row.mean.sum()) - 1) < 1e-4
        np.testing.assert_allclose(row.window_probs.mean(axis=0), row.mean, atol=2e-3)  # float16 windows
        assert 3.9 < row.duration_s < 4.2 and len(row.head_hash) == 32
        assert row.embedding is not None and row.embedding.ndim == 1
        assert store.integrity_ok()
        assert sum(store.genre_counts().values()) == N_GOOD


def test_rerun_touches_nothing_then_only_what_changed(tagged, library, tiny_model, tmp_path):
    db, _ = tagged
    copy = tmp_path / "copy.sqlite"
    with LibraryStore(db) as src:  # work on a copy: the other tests keep the first run's database
        src.conn.execute(f"VACUUM INTO '{copy}'")
    with LibraryStore(copy) as store:
        before = {r.path: r for r in store.tracks(status=None)}
        again = tag_library([library], store, tiny_model, n_windows=3, jobs=0)
        assert (again.analysed, again.unchanged) == (0, N_GOOD + N_BAD)
        stamps = dict(store.conn.execute("SELECT path, analysed_at FROM tracks"))
        # same bytes, new mtime: unchanged (the head hash says so); new content: analysed again
        same = library / "b_flac.flac"
        os.utime(same, ns=(time.time_ns(), time.time_ns()))
        changed = tmp_path / "Music"
        changed.mkdir()
        write_track(changed / "new.wav", 4.0, seed=20)
        third = tag_library([library, changed], store, tiny_model, n_windows=3, jobs=0)
        assert (third.new, third.changed, third.analysed) == (1, 0, 1)
        assert dict(store.conn.execute("SELECT path, analysed_at FROM tracks WHERE path != ?",
                                       (str(changed / "new.wav"),))) == stamps
        assert {r.path: r.id for r in store.tracks(status=None) if r.path in before} == \
            {p: r.id for p, r in before.items()}
        write_track(changed / "new.wav", 5.0, seed=21)
        assert tag_library([changed], store, tiny_model, n_windows=3, jobs=0).changed == 1
        # another window count or another model: everything again
        assert tag_library([changed], store, tiny_model, n_windows=2, jobs=0).changed == 1


def test_a_new_model_reanalyses_everything(tmp_path, tiny_model):
    from modelfiles import export_random_model

    lib = tmp_path / "m"
    for i in range(3):
        write_track(lib / f"{i}.wav", 4.0, seed=i)
    other = export_random_model(tmp_path / "other.onnx", seed=1)
    assert model_id_of(other) != model_id_of(tiny_model)
    with LibraryStore(tmp_path / "db.sqlite") as store:
        assert tag_library([lib], store, tiny_model, n_windows=2, jobs=0).new == 3
        second = tag_library([lib], store, other, n_windows=2, jobs=0)
        assert (second.changed, second.analysed) == (3, 3)
        assert {r.analysis for r in store.tracks()} == {analysis_key(model_id_of(other), 2)}
        assert store.count() == 3


def test_second_writer_is_refused_with_a_clear_message(tmp_path, tiny_model):
    lib = tmp_path / "m"
    write_track(lib / "a.wav", 4.0)
    db = tmp_path / "db.sqlite"
    with LibraryStore(db) as first, first.writer_lock():
        with LibraryStore(db) as second, pytest.raises(LibraryLocked, match="another GenreLab run"):
            tag_library([lib], second, tiny_model, jobs=0)
        done = genrelab("tag", lib, "--db", db, "--model", tiny_model, "--jobs", "0")
        assert done.returncode == 2 and "Traceback" not in done.stderr
        assert "another GenreLab run is writing to this library" in done.stderr and "--wait" in done.stderr
        assert first.count() == 0  # the refused run wrote nothing


def test_with_wait_the_second_writer_waits_its_turn(tmp_path, tiny_model):
    import threading

    lib = tmp_path / "m"
    write_track(lib / "a.wav", 4.0)
    db = tmp_path / "db.sqlite"
    first = LibraryStore(db)
    lock = first.writer_lock()
    lock.__enter__()
    threading.Timer(1.0, lambda: lock.__exit__(None, None, None)).start()
    t = time.monotonic()
    with LibraryStore(db) as second:
        assert tag_library([lib], second, tiny_model, jobs=0, wait_for_lock=True).analysed == 1
    assert time.monotonic() - t >= 0.9
    first.close()


def test_kill_9_mid_run_then_resume(tmp_path, tiny_model):
    """SIGKILL while tracks are being committed: the database is intact, and the rerun analyses only the rest."""
    lib = tmp_path / "many"
    for i in range(40):
        af.write_wav(lib / f"t{i:02d}.wav" if lib.exists() else (lib.mkdir() or lib / f"t{i:02d}.wav"),
                     af.music_like(3.5, 22050, seed=i), 22050)
    db = tmp_path / "db.sqlite"
    cmd = [sys.executable, "-m", "genrelab", "tag", str(lib), "--db", str(db), "--model", str(tiny_model),
           "--jobs", "0", "--windows", "2", "--commit-every", "1", "-q"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    stored = 0
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if db.exists():
                try:
                    with sqlite3.connect(db, timeout=5) as c:
                        stored = c.execute("SELECT COUNT(*) FROM tracks").fetchone()[0]
                except sqlite3.OperationalError:
                    stored = 0
                if stored >= 3:
                    break
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    with LibraryStore(db) as store:
        assert store.integrity_ok()
        kept = store.count()
        assert 3 <= kept < 40
        resumed = tag_library([lib], store, tiny_model, n_windows=2, jobs=0)
        assert resumed.analysed == 40 - kept and resumed.unchanged == kept
        assert store.count() == 40 == store.count("ok")
        assert store.conn.execute("SELECT COUNT(DISTINCT path) FROM tracks").fetchone()[0] == 40
        assert store.integrity_ok()


def test_cancel_commits_what_is_done_and_raises(tmp_path, tiny_model):
    import threading

    from genrelab.errors import Cancelled

    lib = tmp_path / "m"
    for i in range(6):
        write_track(lib / f"{i}.wav", 4.0, seed=i)
    cancel = threading.Event()
    seen = []

    def on_result(r):
        seen.append(r)
        if len(seen) == 2:
            cancel.set()

    with LibraryStore(tmp_path / "db.sqlite") as store:
        with pytest.raises(Cancelled):
            tag_library([lib], store, tiny_model, n_windows=2, jobs=0, cancel=cancel, on_result=on_result)
        assert store.count() == 2
        assert tag_library([lib], store, tiny_model, n_windows=2, jobs=0).analysed == 4


# ---- CLI: tag, exports, similar ----------------------------------------------------------------------------
def test_cli_tag_summary_failures_and_exports(library, tiny_model, tmp_path):
    db = tmp_path / "cli.sqlite"
    out_csv, out_json, m3u = tmp_path / "lib.csv", tmp_path / "lib.json", tmp_path / "lists"
    done = genrelab("tag", library, "--db", db, "--model", tiny_model, "--windows", "3", "--jobs", "1",
                    "--csv", out_csv, "--json", out_json, "--m3u-dir", m3u)
    assert done.returncode == 1, done.stderr  # some files failed
    assert "Traceback" not in done.stderr and "tracks/s" in done.stderr and "ETA" in done.stderr
    out = done.stdout
    assert f"{N_GOOD + N_BAD} audio files found: {N_GOOD} analysed, {N_BAD} failed of {N_GOOD + N_BAD}" in out
    assert f"could not analyse {N_BAD} files:" in out
    for name in BAD:
        assert name in out
    rows = list(csv.DictReader(out_csv.open(encoding="utf-8")))
    assert len(rows) == N_GOOD + N_BAD and {"path", "top_genre", "confidence", "rock"} <= set(rows[0])
    data = json.loads(out_json.read_text(encoding="utf-8"))
    ok = [t for t in data["tracks"] if t["status"] == "ok"]
    assert len(ok) == N_GOOD and abs(sum(ok[0]["probabilities"].values()) - 1) < 1e-3
    assert any("日本" in t["path"] for t in ok)
    lists = sorted(m3u.glob("*.m3u"))
    entries = [line for p in lists for line in p.read_text(encoding="utf-8").splitlines()
               if line and not line.startswith("#")]
    assert sorted(entries) == sorted(t["path"] for t in ok)
    again = genrelab("tag", library, "--db", db, "--model", tiny_model, "--windows", "3", "--jobs", "0")
    assert f"0 analysed (0 new, 0 changed), {N_GOOD + N_BAD} unchanged" in again.stdout
    assert f"could not analyse {N_BAD} files:" in again.stdout


def test_cli_similar_by_track_file_and_outside_file(tagged, library, tiny_model, tmp_path):
    db, _ = tagged
    done = genrelab("similar", library / "a_wave.wav", "--db", db, "-k", "3", "--by", "genre")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert "Jensen-Shannon" in lines[0] and len(lines) == 4
    dists = [float(line.split()[1]) for line in lines[1:]]
    assert dists == sorted(dists) and "a_wave.wav" not in "".join(lines[1:])
    with LibraryStore(db) as store:
        tid = store.track(str(library / "a_wave.wav")).id
    by_id = genrelab("similar", tid, "--db", db, "-k", "3", "--json", "--by", "genre")
    assert [n["path"] for n in json.loads(by_id.stdout)["neighbours"]] == [line.split(None, 4)[-1] for line in lines[1:]]
    outside = write_track(tmp_path / "outside.flac", 5.0, seed=40)
    res = json.loads(genrelab("similar", outside, "--db", db, "-k", "2", "--json").stdout)  # auto: the embedding
    assert res["by"] == "sound" and res["distance"] == "cosine" and len(res["neighbours"]) == 2
    bad = genrelab("similar", tmp_path / "nope.mp3", "--db", db)
    assert bad.returncode == 2 and bad.stderr.startswith("error: ") and "Traceback" not in bad.stderr


# ---- similar on constructed distributions ------------------------------------------------------------------
def test_js_distance_properties():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(10), size=50).astype(np.float32)
    d = js_distance(p[0], p)
    assert d[0] < 1e-3 and np.all(d >= 0) and np.all(d <= 1)
    onehot = np.eye(10, dtype=np.float32)
    assert abs(js_distance(onehot[0], onehot[1:2])[0] - 1.0) < 1e-5  # disjoint supports: the maximum
    for i in (3, 17):  # symmetric
        assert abs(js_distance(p[i], p[[0]])[0] - js_distance(p[0], p[[i]])[0]) < 1e-5


def test_similar_order_on_constructed_distributions(tmp_path):
    """Tracks made ever further from a query come back in that order, the query itself left out."""
    labels = [f"g{i}" for i in range(10)]
    base = np.full(10, 0.02, np.float32)
    base[0] = 0.82
    target = np.eye(10, dtype=np.float32)[5]
    mixes = [(1 - a) * base + a * target for a in (0.0, 0.05, 0.1, 0.2, 0.4, 0.7, 1.0)]
    order = [3, 6, 0, 5, 2, 1, 4]  # stored in a scrambled order
    with LibraryStore(tmp_path / "s.sqlite") as store:
        store.add_model("m", "m.onnx", labels, False)
        store.put_results([TrackResult(f"/x/{j}.flac", 1, 1, None, True, mean=mixes[j], labels=labels,
                                       duration_s=1.0) for j in order], "m", "m:w10")
        ids, vecs, got_labels = store.matrix("genre")
        assert got_labels == labels and vecs.shape == (7, 10)
        query_id = store.track("/x/0.flac").id
        found = search(mixes[0], ids, vecs, k=6, exclude_id=query_id)
        paths = store.paths([i for i, _ in found])
        assert [paths[i] for i, _ in found] == [f"/x/{j}.flac" for j in range(1, 7)]
        # the same through find_similar; no embeddings stored: 'auto' is by genre, 'sound' says why it cannot
        res = find_similar(store, query_id, k=3)
        assert res.by == "genre" and [n.path for n in res.neighbours] == [f"/x/{j}.flac" for j in (1, 2, 3)]
        with pytest.raises(GenreLabError, match="no sound embedding"):
            find_similar(store, query_id, by="sound")
    assert list(nearest(np.array([0.3, 0.1, 0.2, 0.1]), 3)) == [1, 3, 2]  # ties by index
