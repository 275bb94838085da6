"""Silent files in the library (stored and shown as silent, no genre, no genre tag, not similar to anything), the
run summary's counts that add up, and the one "similar" default the CLI and the Library page share. Real files,
real SQLite, real ONNX Runtime (the tiny random model), the real CLI in a subprocess."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import audiofiles as af
import numpy as np
import pytest
from libraryfiles import write_track

from genrelab.analysis import SILENCE_RMS
from genrelab.dsp import GTZAN_IMAGE_STRIDE, FeatureSpec
from genrelab.errors import GenreLabError
from genrelab.library import LibraryStore, find_similar, tag_library
from genrelab.library.exports import export_csv, export_m3u
from genrelab.library.pipeline import RunSummary, counts_line
from genrelab.library.similar_default import BY_CHOICES, DEFAULT_BY, resolve_by
from genrelab.library.store import TrackResult
from genrelab.library.tags import apply_tags, plan_tags, read_genre
from genrelab.library.windowed import prepare_track

REPO = Path(__file__).resolve().parents[1]
SPEC = FeatureSpec(frame_stride=GTZAN_IMAGE_STRIDE)
SR = 22050
MUSIC = ("m0.flac", "m1.wav", "m2.ogg")
SILENT = ("silent_short.flac", "silent_long.flac")  # decoded whole / decoded as 3 windows after seeks


def genrelab(*args: object, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "GENRELAB_MODEL"}
    return subprocess.run([sys.executable, "-m", "genrelab", *map(str, args)], capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=timeout)


def hiss(seconds: float, seed: int, rms: float = 3e-5) -> np.ndarray:
    """Near-digital silence: noise at about -90 dBFS (a few LSBs of 16 bits), below -80 dBFS."""
    return (np.random.default_rng(seed).standard_normal(int(seconds * SR)) * rms).astype(np.float32)


def make_folder(root: Path) -> Path:
    """Three music tracks, a quiet (-60 dBFS) but audible one, two silent FLACs and a corrupt file."""
    root.mkdir(parents=True)
    for i, name in enumerate(MUSIC):
        write_track(root / name, 4.0, seed=i)
    af.write_flac(root / "quiet.flac", 0.003 * af.music_like(6.0, SR, seed=7), SR)
    af.write_flac(root / SILENT[0], hiss(4.0, 1), SR)
    af.write_flac(root / SILENT[1], hiss(25.0, 2), SR)
    (root / "broken.mp3").write_bytes(b"not audio " * 300)
    return root


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return make_folder(tmp_path_factory.mktemp("silence") / "Music")


@pytest.fixture(scope="module")
def tagged(folder, tiny_model, tmp_path_factory):
    db = tmp_path_factory.mktemp("db") / "lib.sqlite"
    with LibraryStore(db) as store:
        summary = tag_library([folder], store, tiny_model, n_windows=3, jobs=0)
    return db, summary


def test_the_windowed_decoder_knows_silence_from_the_windows_it_decodes(folder):
    """The long file is decoded as 3 windows after seeks (all silent: silent); the short one whole."""
    long = prepare_track(folder / SILENT[1], SPEC, 3)
    short = prepare_track(folder / SILENT[0], SPEC, 3)
    assert long.mode == "windows" and long.decoded_s < 15 and "silent" in long.flags
    assert short.mode == "whole" and "silent" in short.flags
    quiet = prepare_track(folder / "quiet.flac", SPEC, 3)
    assert "silent" not in quiet.flags  # quiet is not silent
    assert float(np.sqrt(np.mean(hiss(4.0, 1) ** 2))) < SILENCE_RMS


def test_silent_files_are_stored_as_silent_without_a_genre(tagged, folder):
    db, summary = tagged
    assert summary.silent == 2 and summary.failed == 1 and summary.analysed == 7
    assert summary.counts() == "6 analysed (2 silent), 1 failed of 7"
    with LibraryStore(db) as store:
        for name in SILENT:
            row = store.track(str(folder / name))
            assert row.status == "ok" and "silent" in row.flags
            assert row.top_genre is None and row.confidence is None and row.mean is None and row.embedding is None
        audible = [store.track(str(folder / n)) for n in (*MUSIC, "quiet.flac")]
        assert all(r.top_genre and "silent" not in r.flags for r in audible)
        assert sum(store.genre_counts().values()) == 4 and store.silent_count() == 2
        silent_ids = {store.track(str(folder / n)).id for n in SILENT}
        for kind in ("genre", "sound"):
            ids, _vectors, _labels = store.matrix(kind)
            assert len(ids) == 4 and not silent_ids & set(ids.tolist())
        for genre in store.genre_counts():
            assert not silent_ids & {r.id for r in store.tracks(genre=genre)}


def test_similar_never_answers_silence_and_a_silent_query_says_why(tagged, folder):
    db, _ = tagged
    with LibraryStore(db, readonly=True) as store:
        for by in BY_CHOICES:
            res = find_similar(store, str(folder / "m0.flac"), k=10, by=by)
            assert len(res.neighbours) == 3 and not any("silent" in n.path for n in res.neighbours)
        with pytest.raises(GenreLabError, match="silent"):
            find_similar(store, str(folder / SILENT[1]), k=3)


def test_exports_leave_silence_out_of_the_genres(tagged, folder, tmp_path):
    db, _ = tagged
    with LibraryStore(db, readonly=True) as store:
        export_csv(store, tmp_path / "lib.csv")
        lists = export_m3u(store, tmp_path / "m3u")
    rows = {Path(r["path"]).name: r for r in csv.DictReader((tmp_path / "lib.csv").open(encoding="utf-8"))}
    for name in SILENT:
        assert rows[name]["status"] == "ok" and rows[name]["top_genre"] == "" and "silent" in rows[name]["flags"]
        assert rows[name]["rock"] == ""
    listed = "".join(p.read_text(encoding="utf-8") for p in lists.values())
    assert "m0.flac" in listed and "silent" not in listed


def test_no_genre_tag_is_ever_written_into_a_silent_file(tagged, folder, tiny_model, tmp_path):
    db, _ = tagged
    with LibraryStore(db) as store:
        plan = {Path(c.path).name: c for c in plan_tags(store, overwrite=True)}
        for name in SILENT:
            assert plan[name].action == "skip" and plan[name].reason == "silent: no genre to write"
        assert plan["m0.flac"].action == "write"
        with store.writer_lock():
            report = apply_tags(store, list(plan.values()))
    assert str(folder / "m0.flac") in report.done
    for name in SILENT:
        assert read_genre(folder / name).values is None
    with LibraryStore(db) as store:  # put back what this test wrote (the folder is shared by the module)
        from genrelab.library.tags import undo_tags

        with store.writer_lock():
            undo_tags(store)


def test_rows_stored_before_silence_had_no_genre_are_read_as_silent(tmp_path):
    """A library written by an older GenreLab keeps the model's guess for a silent track: it is ignored."""
    labels = [f"g{i}" for i in range(10)]
    mean = np.full(10, 0.05, np.float32)
    mean[3] = 0.55
    with LibraryStore(tmp_path / "old.sqlite") as store:
        store.add_model("m", "m.onnx", labels, False)
        store.put_results([TrackResult(f"/x/{i}.flac", 1, 1, None, True, mean=mean, labels=labels,
                                       duration_s=5.0) for i in range(3)], "m", "m:w10")
        store.conn.execute("UPDATE tracks SET flags='low_confidence,silent' WHERE path='/x/0.flac'")  # old rows
        assert store.conn.execute("SELECT top_genre FROM tracks WHERE path='/x/0.flac'").fetchone()[0] == "g3"
        row = store.track("/x/0.flac")
        assert row.top_genre is None and row.mean is None
        assert store.genre_counts() == {"g3": 2} and store.silent_count() == 1
        assert len(store.matrix("genre")[0]) == 2


def test_counts_add_up():
    assert counts_line(32, 4) == "32 analysed, 4 failed of 36"
    assert counts_line(36, 0) == "36 analysed" and counts_line(0, 0) == "0 analysed"
    assert counts_line(1200, 3, 2) == "1,200 analysed (2 silent), 3 failed of 1,203"
    run = RunSummary("db", "m", "m:w10", "local", scanned=40, analysed=36, failed=4, unchanged=4)
    assert run.counts() == "32 analysed, 4 failed of 36"


def test_one_similar_default():
    assert DEFAULT_BY in BY_CHOICES
    assert resolve_by("auto", True) == "sound" and resolve_by("auto", False) == "genre"
    assert resolve_by("genre", True) == "genre"
    with pytest.raises(GenreLabError):
        resolve_by("timbre", True)


def test_cli_summary_silence_tags_and_similar(folder, tiny_model, tmp_path):
    db = tmp_path / "cli.sqlite"
    done = genrelab("tag", folder, "--db", db, "--model", tiny_model, "--windows", "3", "--jobs", "0", "-q",
                    "--write-tags", "--dry-run")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr  # broken.mp3 failed
    out = done.stdout
    assert "7 audio files found: 6 analysed (2 silent), 1 failed of 7 (7 new, 0 changed), 0 unchanged" in out
    library = next(line for line in out.splitlines() if line.startswith("library: "))
    assert library.split("  (database")[0].endswith(", 2 silent (no genre)")
    for name in SILENT:
        assert f"skipped: {folder / name}: silent: no genre to write" in out
    silent = genrelab("similar", folder / SILENT[0], "--db", db)
    assert silent.returncode == 2 and "silent" in silent.stderr and "Traceback" not in silent.stderr
    res = json.loads(genrelab("similar", folder / "m1.wav", "--db", db, "-k", "10", "--json").stdout)
    assert res["by"] == resolve_by(DEFAULT_BY, True) and len(res["neighbours"]) == 3
    assert f"default: {DEFAULT_BY}" in genrelab("similar", "--help").stdout
