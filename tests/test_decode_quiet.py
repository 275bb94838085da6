"""Decoder libraries never write to the terminal: the CLI's own line is all a person sees (issue 14).

libmpg123 (inside libsndfile) prints "Note: Illegal Audio-MPEG-Header ..." for a non-audio file named .mp3 and
"Warning: Xing stream size off ..." for a cut-off MP3, straight to file descriptor 2. These tests run the real
CLI in a subprocess and read its stderr.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf

from genrelab.audio.synthesis import music_like

needs_mp3 = pytest.mark.skipif("MP3" not in sf.available_formats(), reason="this libsndfile has no MPEG codec")


def _analyse(path: Path, model: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "genrelab", "analyse", "--model", str(model), "--threads", "1",
                           str(path)], capture_output=True, text=True, timeout=120)


def test_text_named_mp3_is_one_line_on_stderr(tmp_path, tiny_model):
    bad = tmp_path / "notes.mp3"
    bad.write_text("this is a text file, not audio\n" * 40)
    result = _analyse(bad, tiny_model)
    assert result.returncode != 0
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "notes.mp3" in lines[0] and "Illegal" not in result.stderr


@needs_mp3
def test_cut_off_mp3_prints_only_its_result(tmp_path, tiny_model):
    full = tmp_path / "full.mp3"
    sf.write(full, music_like(12.0, 22050, seed=5), 22050, format="MP3")
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    result = _analyse(cut, tiny_model)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "truncated" in result.stdout and len(result.stdout.splitlines()) == 1
