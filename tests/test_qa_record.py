"""Regressions found by using `genrelab record` as a new user would (QA pass), through a real PulseAudio null
sink's monitor."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from nullsink import NullSink

pytestmark = pytest.mark.audio_device


@pytest.fixture
def sink():
    s = NullSink(f"genrelab_qa_{os.getpid()}_{time.monotonic_ns() % 100000}")
    yield s
    s.remove()


def _record(tmp_path: Path, sink: NullSink, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "GENRELAB_NO_AUDIO"}
    env.update(GENRELAB_TAKE_JOURNAL=str(tmp_path / "journal"), GENRELAB_RECORDINGS=str(tmp_path / "takes"))
    return subprocess.run([sys.executable, "-m", "genrelab", "record", "--device", sink.monitor, "--seconds", "0.5",
                           *args], capture_output=True, text=True, timeout=120, env=env)


def test_a_recordings_folder_with_a_dot_in_its_name(tmp_path, sink):
    """`--folder ~/Music/Takes.2026` was refused with "Takes.2026: takes are written as .flac or .wav" (the
    name's dot read as a file extension), existing or not; the take goes into the folder."""
    for folder in (tmp_path / "existing.takes", tmp_path / "new.2026"):
        if folder.name.startswith("existing"):
            folder.mkdir()
        result = _record(tmp_path, sink, "--folder", str(folder))
        assert result.returncode == 0, result.stderr
        takes = list(folder.glob("take-*.flac"))
        assert len(takes) == 1 and takes[0].stat().st_size > 0


def test_a_recordings_folder_that_is_a_file_is_refused_and_kept(tmp_path, sink):
    notes = tmp_path / "notes.txt"
    notes.write_text("mine\n")
    result = _record(tmp_path, sink, "--folder", str(notes))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: {notes}: is a file, not a folder"]
    assert notes.read_text() == "mine\n"
