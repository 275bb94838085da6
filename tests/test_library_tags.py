"""Genre tags on real files of every supported format: write, keep, overwrite, undo exactly, audio unchanged,
failed writes leave the file as it was; and `genrelab tag --write-tags / --dry-run / --undo`."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from libraryfiles import write_track

from genrelab.audio import load
from genrelab.library import LibraryStore, apply_tags, plan_tags, tag_library, undo_tags
from genrelab.library.tags import TagError, read_genre, restore_genre, write_genre

REPO = Path(__file__).resolve().parents[1]
FORMATS = ("flac", "ogg", "opus", "mp3", "m4a")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def decoded(path: Path) -> np.ndarray:
    return load(path).samples


def set_genre_with_mutagen(path: Path, values: list[str]) -> None:
    """Give a file a genre of its own, as another tagger would."""
    import mutagen

    f = mutagen.File(path)
    if f.tags is None:
        f.add_tags()
    if path.suffix == ".mp3":
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
    np.testing.assert_array_equal(decoded(path), audio_before)
    restore_genre(path, before.kind, before.raw, before.container)
    assert read_genre(path).values is None
    np.testing.assert_array_equal(decoded(path), audio_before)
    if ext == "mp3":  # no ID3 tag before: removing ours gives the very same bytes
        assert digest(path) == bytes_before


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
    write_track(lib / "plain.wav", 3.0)
    set_genre_with_mutagen(lib / "song.ogg", ["Jazz"])
    (lib / "song.flac").chmod(0o444)
    audio = {p.name: decoded(p) for p in lib.iterdir()}
    with LibraryStore(tmp_path / "db.sqlite") as store:
        tag_library([lib], store, tiny_model, n_windows=2, jobs=0)
        plan = {Path(c.path).name: c for c in plan_tags(store)}
        assert plan["plain.wav"].action == "skip" and "wav" in plan["plain.wav"].reason
        assert plan["song.ogg"].action == "keep" and plan["song.ogg"].old == ["Jazz"]
        assert plan["song.flac"].action == "skip" and plan["song.flac"].reason == "read-only file"
        assert {n for n, c in plan.items() if c.action == "write"} == {"song.opus", "song.mp3", "song.m4a"}
        plan["song.flac"].action = "write"  # as if it became read-only between the plan and the write
        with store.writer_lock():
            rep = apply_tags(store, list(plan.values()))
        assert sorted(Path(p).name for p in rep.done) == ["song.m4a", "song.mp3", "song.opus"]
        assert [(Path(p).name, "read-only" in why) for p, why in rep.failed] == [("song.flac", True)]
        for name in ("song.m4a", "song.mp3", "song.opus"):
            row = store.track(str(lib / name))
            assert read_genre(lib / name).values == [{"hiphop": "Hip-Hop"}.get(row.top_genre,
                                                                                row.top_genre.capitalize())]
        # tagging changed the files, not their audio: the next run analyses nothing
        assert tag_library([lib], store, tiny_model, n_windows=2, jobs=0).analysed == 0
        for p in lib.iterdir():
            np.testing.assert_array_equal(decoded(p), audio[p.name])
        # --overwrite replaces the Jazz; undo then restores Jazz, then nothing, newest first
        over = [c for c in plan_tags(store, overwrite=True) if c.action == "write"]
        assert [Path(c.path).name for c in over] == ["song.ogg"]
        with store.writer_lock():
            apply_tags(store, over)
            undone = undo_tags(store)
        assert len(undone.done) == 4 and not undone.failed
        assert read_genre(lib / "song.ogg").values == ["Jazz"]
        for name in ("song.m4a", "song.mp3", "song.opus", "song.flac"):
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
    assert dry.stdout.count("would write: ") == 5 and "dry run: nothing changed" in dry.stdout
    assert {p.name: digest(p) for p in lib.iterdir()} == before
    wrote = run(lib, "--model", tiny_model, "--windows", "2", "--jobs", "0", "--write-tags")
    assert "tags written to 5 files, 0 failed" in wrote.stdout, wrote.stdout + wrote.stderr
    assert all(read_genre(p).values for p in lib.iterdir())
    undo = run("--undo")
    assert "undo: 5 restored, 0 left alone, 0 failed" in undo.stdout, undo.stdout + undo.stderr
    assert all(read_genre(p).values is None for p in lib.iterdir())
    assert digest(lib / "song.mp3") == before["song.mp3"]
