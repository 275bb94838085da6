"""Regressions found by using the CLI as a new user would (QA pass): each bad input gives one clear line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import soundfile as sf

from genrelab.audio.synthesis import music_like


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "genrelab", *args], capture_output=True, text=True, timeout=180)


def test_tag_and_similar_keep_decoder_noise_off_the_terminal(tmp_path: Path, tiny_model: Path):
    """libmpg123 (inside libsndfile) wrote "Note: Illegal Audio-MPEG-Header ..." to the terminal for a text file
    named .mp3 in a tagged folder, and for `similar` on such a file; only GenreLab's own lines may show."""
    music = tmp_path / "music"
    music.mkdir()
    sf.write(music / "good.wav", music_like(4.0, 22050, seed=1), 22050)
    (music / "notes.mp3").write_text("this is a text file, not audio\n" * 40)
    db = tmp_path / "lib.sqlite"
    tagged = _cli("tag", str(music), "--db", str(db), "--model", str(tiny_model), "--jobs", "0", "--quiet")
    assert "notes.mp3: not an audio file" in tagged.stdout + tagged.stderr
    assert "Illegal" not in tagged.stderr and "resync" not in tagged.stderr, tagged.stderr
    outside = tmp_path / "other.mp3"  # not in the library: `similar` analyses it first
    outside.write_text("more text, still not audio\n" * 40)
    for query in (music / "notes.mp3", outside):
        similar = _cli("similar", str(query), "--db", str(db))
        assert similar.returncode != 0
        lines = similar.stderr.strip().splitlines()
        assert len(lines) == 1 and query.name in lines[0] and "not an audio file" in lines[0], similar.stderr


def test_a_text_file_named_flac_or_wav_is_not_an_audio_file(tmp_path: Path):
    """A text file named .flac said "audio stream has no sample rate or channel count" (FFmpeg's probe made a
    stream of it); it says what a text file named .mp3 says. A real FLAC with a damaged header says damaged."""
    import pytest

    from genrelab.audio import load, probe
    from genrelab.errors import AudioError

    for name in ("notes.flac", "notes.wav", "notes.ogg"):
        path = tmp_path / name
        path.write_text("hello\n")
        for read in (load, probe):
            with pytest.raises(AudioError) as err:
                read(path)
            assert str(err.value) == f"{name}: not an audio file (no known audio header)"
    damaged = tmp_path / "damaged.flac"
    damaged.write_bytes(b"fLaC" + b"\x00" * 60)
    with pytest.raises(AudioError, match=r"^damaged\.flac: damaged or cut-off audio file"):
        load(damaged)


def test_a_read_only_library_can_still_be_searched(tmp_path: Path, tiny_model: Path):
    """A library on a read-only file and folder (a shared or archived copy): `similar` reads it (it said "not a
    usable library database (attempt to write a readonly database)"); writing to it, or creating a library in
    a read-only folder, says in one line that the place is read-only."""
    import os
    import shutil
    import stat
    import tempfile

    import pytest

    prefix: list[str] = []
    if os.geteuid() == 0:  # root writes anywhere: run the read-only part as nobody
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: cannot make a folder read-only")
        prefix = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"]
    shared = Path(tempfile.mkdtemp(prefix="genrelab-ro-"))  # outside tmp_path, which nobody cannot enter
    home = Path(tempfile.mkdtemp(prefix="genrelab-ro-home-"))
    try:
        music = shared / "music"
        music.mkdir()
        for seed in range(3):
            sf.write(music / f"t{seed}.wav", music_like(4.0, 22050, seed=seed), 22050)
        private = tmp_path / "private"  # a folder this user cannot enter (nobody, or chmod 000)
        private.mkdir(mode=0o700)
        if not prefix:
            private.chmod(0)
        db = shared / "lib.sqlite"
        made = _cli("tag", str(music), "--db", str(db), "--model", str(tiny_model), "--jobs", "0", "--quiet")
        assert made.returncode == 0, made.stderr
        for extra in ("-wal", "-shm"):  # a copied library: one file
            Path(str(db) + extra).unlink(missing_ok=True)
        db.chmod(0o444)
        shared.chmod(0o555)
        home.chmod(0o777)
        env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home), "XDG_CONFIG_HOME": str(home),
               "XDG_CACHE_HOME": str(home)}

        def run(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run([*prefix, sys.executable, "-m", "genrelab", *args], capture_output=True,
                                  text=True, timeout=180, env=env, cwd=str(home))

        found = run("similar", "1", "--db", str(db), "--by", "genre", "-k", "2")
        assert found.returncode == 0, found.stderr
        assert found.stdout.count(str(music)) == 3, found.stdout  # the query and its two neighbours
        for args in (("tag", "--undo", "--db", str(db)), ("tag", str(music), "--db", str(shared / "new.sqlite"))):
            refused = run(*args)
            assert refused.returncode == 2, refused.stderr
            lines = refused.stderr.strip().splitlines()
            assert len(lines) == 1 and "read-only for you" in lines[0], refused.stderr
        assert not (shared / "new.sqlite").exists()
        unreadable = run("tag", str(private / "x"), "--db", str(home / "lib.sqlite"))  # used to be a traceback
        assert unreadable.returncode == 2
        assert unreadable.stderr.strip().splitlines() == [f"error: {private / 'x'}: cannot read (permission denied)"]
    finally:
        (tmp_path / "private").chmod(stat.S_IRWXU)
        shared.chmod(stat.S_IRWXU)
        shutil.rmtree(shared, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)
