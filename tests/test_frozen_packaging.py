"""The desktop build's parts that run without building it: the menu entry, the icons, the script that installs
them, and the frozen entry point's one line for the training commands. (The bundle itself is built and
smoke-tested by packaging/build_frozen.sh, which .ci/run runs.)"""

from __future__ import annotations

import configparser
import os
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DESKTOP = ROOT / "resources" / "genrelab.desktop"
ICONS = ROOT / "resources" / "icons"
INSTALL = ROOT / "packaging" / "install-desktop-entry.sh"

sys.path.insert(0, str(ROOT / "packaging"))
import make_icons  # noqa: E402


def _entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_desktop_entry_is_complete() -> None:
    entry = _entry(DESKTOP)
    assert entry["Type"] == "Application" and entry["Name"] == "GenreLab"
    assert entry["Exec"] == "genrelab %f" and entry["Icon"] == "genrelab"
    assert entry["Terminal"] == "false"
    assert "audio/flac" in entry["MimeType"].split(";") and "audio/mpeg" in entry["MimeType"].split(";")
    assert entry["StartupWMClass"] == "GenreLab"  # the window's WM_CLASS (QSettings application name)
    if shutil.which("desktop-file-validate"):
        result = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_icons_are_drawn_from_the_script_at_every_size() -> None:
    svg = ICONS / "genrelab.svg"
    assert svg.read_text(encoding="utf-8") == make_icons.svg(), "icons out of date: run packaging/make_icons.py"
    root = ET.parse(svg).getroot()
    assert root.get("viewBox") == "0 0 256 256"
    for size in make_icons.PNG_SIZES:
        assert _png_size(ICONS / f"genrelab-{size}.png") == (size, size)


def _install(tmp_path: Path, *args: str, script: Path = INSTALL) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path)}
    return subprocess.run(["bash", str(script), *args], capture_output=True, text=True, env=env, timeout=60)


def test_install_script_installs_and_removes_the_entry_and_icons(tmp_path: Path) -> None:
    app = tmp_path / "opt" / "genrelab"
    app.parent.mkdir()
    app.write_text("#!/bin/sh\n")
    app.chmod(0o755)
    result = _install(tmp_path, "--exec", str(app))
    assert result.returncode == 0, result.stderr
    data = tmp_path / "data"
    installed = data / "applications" / "genrelab.desktop"
    entry = _entry(installed)
    assert entry["Exec"] == f"{app} %f" and entry["TryExec"] == str(app)
    assert entry["Icon"] == "genrelab" and entry["Name"] == "GenreLab"
    for size in make_icons.PNG_SIZES:
        assert _png_size(data / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "genrelab.png") == (size, size)
    assert (data / "icons" / "hicolor" / "scalable" / "apps" / "genrelab.svg").is_file()
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(installed)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout

    result = _install(tmp_path, "--uninstall")
    assert result.returncode == 0, result.stderr
    assert not installed.exists()
    assert not list((data / "icons").rglob("genrelab.*"))


def test_install_script_leaves_a_menu_entry_it_did_not_write_alone(tmp_path: Path) -> None:
    apps = tmp_path / "data" / "applications"
    apps.mkdir(parents=True)
    own = apps / "genrelab.desktop"
    own.write_text("[Desktop Entry]\nType=Application\nName=My GenreLab\nExec=/somewhere/else\n")
    app = tmp_path / "genrelab"
    app.write_text("#!/bin/sh\n")
    app.chmod(0o755)
    for args in (("--exec", str(app)), ("--uninstall",)):
        result = _install(tmp_path, *args)
        assert result.returncode == 1
        assert "not written by this script" in result.stderr and "Traceback" not in result.stderr
        assert "Name=My GenreLab" in own.read_text()


def test_install_script_says_when_there_is_no_app(tmp_path: Path) -> None:
    result = _install(tmp_path, "--exec", str(tmp_path / "nothing-here"))
    assert result.returncode == 1
    assert result.stderr.strip().endswith("is not an executable genrelab (build it, or pass --exec PATH)")
    assert not (tmp_path / "data" / "applications" / "genrelab.desktop").exists()


def test_frozen_entry_point_names_the_train_extra_when_torch_is_missing(tmp_path: Path) -> None:
    """What the bundle does for `genrelab train` (it has no torch): one line, status 2."""
    code = ("import runpy, sys; sys.modules['torch'] = None; "  # None in sys.modules: `import torch` fails
            f"sys.argv = ['genrelab', 'train', '--data', {str(tmp_path)!r}, '--out', {str(tmp_path / 'run')!r}]; "
            f"runpy.run_path({str(ROOT / 'packaging' / 'genrelab_frozen.py')!r}, run_name='__main__')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "`train` extra" in lines[0] and "missing module: torch" in lines[0], result.stderr
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("argv", [["analyse", "--help"], ["--help"]])
def test_frozen_entry_point_runs_the_cli(argv: list[str]) -> None:
    code = (f"import runpy, sys; sys.argv = ['genrelab', *{argv!r}]; "
            f"runpy.run_path({str(ROOT / 'packaging' / 'genrelab_frozen.py')!r}, run_name='__main__')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "usage: genrelab" in result.stdout
