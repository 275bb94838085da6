"""``genrelab --screenshot OUT.png FILE`` through the real command line (a fresh process, offscreen)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage


def _run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               GENRELAB_NO_AUDIO="1")
    return subprocess.run([sys.executable, "-m", "genrelab", *args], capture_output=True, text=True, env=env,
                          timeout=240)


def test_screenshot_writes_a_png_after_the_analysis(tmp_path, song, tiny_model, qapp):
    out = tmp_path / "shot.png"
    result = _run(["--model", str(tiny_model), "--screenshot", str(out), "--page", "analyse", str(song)], tmp_path)
    assert result.returncode == 0, result.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1600, 1000)


def test_screenshot_of_a_bad_file_fails_with_one_line(tmp_path, tiny_model, qapp):
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    result = _run(["--model", str(tiny_model), "--screenshot", str(tmp_path / "x.png"), str(bad)], tmp_path)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "notes.wav" in errors[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x.png").exists()
