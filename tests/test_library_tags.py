"""Genre tags on real files of every supported format: write, keep, overwrite, undo exactly, audio unchanged,
failed writes leave the file as it was; and `genrelab tag --write-tags / --dry-run / --undo`. WAV and AIFF carry
the genre in an ID3 chunk: the app's decoder still reads them and a re-scan finds nothing broken."""

from __future__ import annotations

import hashlib
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from libraryfiles import write_track

from genrelab.audio import load
from genrelab.library import LibraryStore, apply_tags, plan_tags, tag_library, undo_tags
from genrelab.library.tags import TagError, read_genre, restore_genre, tag_kind, write_genre

REPO = Path(__file__).resolve().parents[1]
FORMATS = ("flac", "ogg", "opus", "mp3", "m4a", "wav", "aiff", "aifc")
ID3 = ("mp3", "wav", "aiff", "aifc")  # no tag before: removing GenreLab's gives the very same bytes
CHUNKED = {"wav": "id3 ", "aiff": "ID3 ", "aifc": "ID3 "}  # where mutagen puts the ID3 tag


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def decoded(path: Path) -> np.ndarray:
    return load(path).samples


def chunks(path: Path) -> list[str]:
    """The top-level chunk ids of a RIFF/WAVE (little-endian sizes) or AIFF/AIFF-C (big-endian) file."""
    data = path.read_bytes()
    order = "<" if data[:4] == b"RIFF" else ">"
    assert data[:4] in (b"RIFF", b"FORM") and struct.unpack(order + "I", data[4:8])[0] == len(data) - 8
    ids, pos = [], 12
    while pos + 8 <= len(data):
        size = struct.unpack(order + "I", data[pos + 4 : pos + 8])[0]
        ids.append(data[pos : pos + 4].decode("ascii"))
        pos += 8 + size + (size & 1)
    assert pos == len(data)
    return ids


def set_genre_with_mutagen(path: Path, values: list[str]) -> None:
    """Give a file a genre of its own, as another tagger would."""
    import mutagen

    f = mutagen.File(path)
    if f.tags is None:
        f.add_tags()
    if path.suffix in (".mp3", ".wav", ".aiff", ".aifc"):
        from mutagen.id3 import TCON

        f.tags.add(TCON(encoding=1, text=values))  # UTF-16, unlike what GenreLab writes
        f.save(v2_version=3)
    elif path.suffix == ".m4a":
        f.tags["\xa9gen"] = values
        f.save()
    else:
        f.tags["GENRE"] = values
        f.save()


@pytest.fixture(scope="module")
def originals(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("orig")
    return {ext: write_track(d / f"song.{ext}", 3.0, seed=i) for i, ext in enumerate(FORMATS)}


@pytest.mark.parametrize("ext", FORMATS)
def test_write_then_restore_is_exact_and_audio_is_unchanged(originals, tmp_path, ext):
    path = tmp_path / originals[ext].name
    path.write_bytes(originals[ext].read_bytes())
    audio_before, bytes_before = decoded(path), digest(path)
    before = write_genre(path, "Hip-Hop")
    assert before.values is None
    assert read_genre(path).values == ["Hip-Hop"]
    if ext in CHUNKED:  # one ID3 chunk added (the RIFF/FORM size with it), decoded as before by libsndfile
        assert chunks(path).count(CHUNKED[ext]) == 1 and CHUNKED[ext] not in chunks(originals[ext])
    np.testing.assert_array_equal(decoded(path), audio_before)
    restore_genre(path, before.kind, before.raw, before.container)
    assert read_genre(path).values is None
    np.testing.assert_array_equal(decoded(path), audio_before)
    if ext in ID3:  # no ID3 tag before: removing ours gives the very same bytes (WAV/AIFF: the chunk is gone)
        assert digest(path) == bytes_before


def test_which_files_get_a_genre_tag(tmp_path):
    for suffix in (".wav", ".WAV", ".wave", ".aif", ".aiff", ".AIFF", ".aifc", ".mp3"):
        assert tag_kind(f"x{suffix}") == "id3"
    assert tag_kind("x.au") is None and tag_kind("x.w64") is None
    for name in ("t.wave", "t.aif"):  # the other names of WAV and AIFF files
        path = write_track(tmp_path / name, 1.0)
        raw = path.read_bytes()
        before = write_genre(path, "Jazz")
        assert read_genre(path).values == ["Jazz"]
        restore_genre(path, before.kind, before.raw, before.container)
        assert path.read_bytes() == raw
    with pytest.raises(TagError, match=r"no genre tag GenreLab can write in \.au files"):
        read_genre(write_track(tmp_path / "t.au", 1.0))


@pytest.mark.parametrize("ext", FORMATS)
def test_existing_genre_restored_exactly(originals, tmp_path, ext):
    path = tmp_path / originals[ext].name
    path.write_bytes(originals[ext].read_bytes())
    set_genre_with_mutagen(path, ["Shoegaze", "Dream Pop"])
    state = read_genre(path)
    # ID3v2.3 joins several values with '/': what counts is what the file held
    assert state.values in (["Shoegaze", "Dream Pop"], ["Shoegaze/Dream Pop"])
    write_genre(path, "Rock")
    assert read_genre(path).values == ["Rock"]
    restore_genre(path, state.kind, state.raw, state.container)
    again = read_genre(path)
    assert again.values == state.values and again.raw == state.raw  # ID3: same text encoding too


def test_read_only_file_is_not_written_and_says_so(originals, tmp_path):
    path = tmp_path / "ro.flac"
    path.write_bytes(originals["flac"].read_bytes())
    path.chmod(0o444)
    before = digest(path)
    with pytest.raises(TagError, match="read-only"):
        write_genre(path, "Rock")
    assert digest(path) == before and not list(tmp_path.glob(".genrelab-tmp-*"))


def test_a_write_that_fails_mid_way_leaves_the_file_as_it_was(originals, tmp_path):
    """A file-size limit (RLIMIT_FSIZE, what a full disk looks like to a writer) makes the write fail."""
    path = tmp_path / "big.flac"
    path.write_bytes(originals["flac"].read_bytes())
    before = digest(path)
    code = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))\n"
        "from genrelab.library.tags import write_genre, TagError\n"
        "try:\n    write_genre(sys.argv[1], 'Rock')\nexcept TagError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, cwd=REPO)
    assert "write failed" in out.stdout and "left as it was" in out.stdout, out.stderr
    assert digest(path) == before and not list(tmp_path.glob(".genrelab-tmp-*"))


def test_plan_apply_undo_through_the_store(originals, tmp_path, tiny_model):
    lib = tmp_path / "lib"
    lib.mkdir()
    for p in originals.values():
        (lib / p.name).write_bytes(p.read_bytes())
    write_track(lib / "plain.au", 3.0)  # Sun au: decoded and analysed, but no genre tag GenreLab writes
    set_genre_with_mutagen(lib / "song.ogg", ["Jazz"])
    (lib / "song.flac").chmod(0o444)
    audio = {p.name: decoded(p) for p in lib.iterdir()}
    with LibraryStore(tmp_path / "db.sqlite") as store:
        tag_library([lib], store, tiny_model, n_windows=2, jobs=0)
        plan = {Path(c.path).name: c for c in plan_tags(store)}
        assert plan["plain.au"].action == "skip"
        assert plan["plain.au"].reason == "no genre tag GenreLab can write in .au files"
        assert plan["song.ogg"].action == "keep" and plan["song.ogg"].old == ["Jazz"]
        assert plan["song.flac"].action == "skip" and plan["song.flac"].reason == "read-only file"
        written = ["song.aifc", "song.aiff", "song.m4a", "song.mp3", "song.opus", "song.wav"]
        assert sorted(n for n, c in plan.items() if c.action == "write") == written
        plan["song.flac"].action = "write"  # as if it became read-only between the plan and the write
        with store.writer_lock():
            rep = apply_tags(store, list(plan.values()))
        assert sorted(Path(p).name for p in rep.done) == written
        assert [(Path(p).name, "read-only" in why) for p, why in rep.failed] == [("song.flac", True)]
        for name in written:
            row = store.track(str(lib / name))
            assert read_genre(lib / name).values == [{"hiphop": "Hip-Hop"}.get(row.top_genre,
                                                                                row.top_genre.capitalize())]
        # tagging changed the files, not their audio: the next run analyses nothing
        assert tag_library([lib], store, tiny_model, n_windows=2, jobs=0).analysed == 0
        for p in lib.iterdir():
            np.testing.assert_array_equal(decoded(p), audio[p.name])
        with LibraryStore(tmp_path / "fresh.sqlite") as fresh:  # a new library of the tagged files: none broken
            run = tag_library([lib], fresh, tiny_model, n_windows=2, jobs=0)
            assert (run.analysed, run.failed, fresh.failures()) == (len(audio), 0, [])
        # --overwrite replaces the Jazz; undo then restores Jazz, then nothing, newest first
        over = [c for c in plan_tags(store, overwrite=True) if c.action == "write"]
        assert [Path(c.path).name for c in over] == ["song.ogg"]
        with store.writer_lock():
            apply_tags(store, over)
            undone = undo_tags(store)
        assert len(undone.done) == len(written) + 1 and not undone.failed
        assert read_genre(lib / "song.ogg").values == ["Jazz"]
        for name in written:
            assert read_genre(lib / name).values is None
        with store.writer_lock():
            assert undo_tags(store).done == []  # nothing left to undo


def test_cli_dry_run_changes_nothing_then_write_and_undo(originals, tmp_path, tiny_model):
    lib = tmp_path / "lib"
    lib.mkdir()
    for p in originals.values():
        (lib / p.name).write_bytes(p.read_bytes())
    db = tmp_path / "db.sqlite"
    env = {k: v for k, v in os.environ.items() if k != "GENRELAB_MODEL"}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "genrelab", "tag", *map(str, args), "--db", str(db), "-q"],
                              capture_output=True, text=True, cwd=REPO, env=env)

    before = {p.name: digest(p) for p in lib.iterdir()}
    dry = run(lib, "--model", tiny_model, "--windows", "2", "--jobs", "0", "--write-tags", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.count("would write: ") == len(FORMATS) and "dry run: nothing changed" in dry.stdout
    assert {p.name: digest(p) for p in lib.iterdir()} == before
    wrote = run(lib, "--model", tiny_model, "--windows", "2", "--jobs", "0", "--write-tags")
    assert f"tags written to {len(FORMATS)} files, 0 failed" in wrote.stdout, wrote.stdout + wrote.stderr
    assert all(read_genre(p).values for p in lib.iterdir())
    undo = run("--undo")
    assert f"undo: {len(FORMATS)} restored, 0 left alone, 0 failed" in undo.stdout, undo.stdout + undo.stderr
    assert all(read_genre(p).values is None for p in lib.iterdir())
    for ext in ID3:
        assert digest(lib / f"song.{ext}") == before[f"song.{ext}"]
