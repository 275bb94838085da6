"""The Library page on a library tagged from the command line (`genrelab tag`, no --db: both find the same default
database through platformdirs): its folders listed once, removing one asks before results go, the similar
default is the CLI's, the counts add up, and a silent file shows as silence. Real CLI run, real SQLite, Qt
offscreen."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import SR, write_track

from genrelab.gui.pages.library.folder_list import FolderList
from genrelab.gui.pages.library.records import SILENCE
from genrelab.gui.pages.library.track_model import CONFIDENCE, GENRE
from genrelab.library.similar_default import DEFAULT_BY, resolve_by

REPO = Path(__file__).resolve().parents[2]


def genrelab(*args: object) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "GENRELAB_MODEL"}
    return subprocess.run([sys.executable, "-m", "genrelab", *map(str, args)], capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=300)


def make_folder(folder: Path, seed: int) -> Path:
    """Three generated tracks, a silent one (about -90 dBFS of hiss) and a broken file."""
    folder.mkdir(parents=True)
    for i in range(3):
        write_track(folder / f"track {i}.wav", 7.0, seed=seed + i)
    hiss = np.random.default_rng(seed).standard_normal(7 * SR).astype(np.float32) * 3e-5
    sf.write(folder / "silent.flac", hiss, SR, format="FLAC")
    (folder / "broken.mp3").write_bytes(b"ID3 not audio " * 200)
    return folder


@pytest.fixture
def cli_library(tmp_path: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, Path]:
    """Two folders tagged by `genrelab tag A B` into the default database of a fresh user data folder."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    a, b = make_folder(tmp_path / "Music A", 0), make_folder(tmp_path / "Music B", 10)
    done = genrelab("tag", a, b, "--model", tiny_model, "--windows", "3", "--jobs", "0", "-q")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr  # the broken files
    assert "10 audio files found: 8 analysed (2 silent), 2 failed of 10" in done.stdout
    db = tmp_path / "data" / "GenreLab" / "library.sqlite"
    assert str(db) in done.stdout
    return a, b, db


def shown_page(qtbot, window):
    page = window.pages["library"]
    page.scan_jobs = 0
    with qtbot.waitSignal(page.loaded, timeout=20000):
        window.show_page("library")
    return page


def answer(qtbot, page, button: str) -> None:
    """Press ``button`` (its text starts so) in the remove question, as a user would."""
    qtbot.waitUntil(lambda: page.remove_dialog is not None and page.remove_dialog.isVisible(), timeout=5000)
    box = page.remove_dialog
    target = next(b for b in box.buttons() if b.text().replace("&", "").startswith(button))
    target.click()
    qtbot.waitUntil(lambda: page.remove_dialog is None, timeout=5000)


def db_state(db: Path) -> tuple[list[str], int]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT path FROM folders")], conn.execute(
            "SELECT COUNT(*) FROM tracks").fetchone()[0]


def test_the_page_shows_what_the_cli_tagged(qtbot, window, cli_library, tmp_path):
    a, b, db = cli_library
    page = shown_page(qtbot, window)
    assert page.database() == db  # the same default database as the CLI's
    assert page.folders.folders() == [a, b]
    assert page.scan_controls.scan_button.isEnabled()
    assert page.scan_controls.message.text() == "This library: 8 analysed (2 silent), 2 failed of 10"

    # silence: shown as such, no confidence, not counted as a genre
    model = page.table.model
    assert model.rowCount() == 8
    silent_rows = [r for r in range(8) if model.path(r).name == "silent.flac"]
    assert len(silent_rows) == 2
    for r in silent_rows:
        assert model.data(model.index(r, GENRE)) == SILENCE and model.data(model.index(r, CONFIDENCE)) == "—"
    assert SILENCE not in page.counts.counts and sum(page.counts.counts.values()) == 6
    assert page.failures.count() == 2

    # the same folder added on the page again (another spelling of it) is not listed twice
    link = tmp_path / "link to A"
    link.symlink_to(a)
    assert not page.folders.add_folder(link) and not page.folders.add_folder(a)
    other = tmp_path / "Other"
    other.mkdir()
    assert page.folders.add_folder(other)
    assert page.folders.folders() == [other, a, b]


def test_similar_default_is_the_clis_and_never_silence(qtbot, window, cli_library):
    a, _b, db = cli_library
    page = shown_page(qtbot, window)
    assert page.similar.ranking() == DEFAULT_BY
    assert page.similar.by.currentText() == f"auto: by {resolve_by(DEFAULT_BY, True)}"  # the tiny model has one
    model = page.table.model
    query = next(r for r in range(model.rowCount()) if model.path(r) == a / "track 0.wav")
    page.similar.k.setValue(10)
    page.table.select_ids([model.track_id(query)])
    qtbot.waitUntil(lambda: len(page.similar.results()) == 5, timeout=20000)  # 6 audible tracks, less itself
    cli = json.loads(genrelab("similar", a / "track 0.wav", "-k", "10", "--json").stdout)
    assert [p for p, _d in page.similar.results()] == [n["path"] for n in cli["neighbours"]]
    np.testing.assert_allclose([d for _p, d in page.similar.results()],
                               [n["distance"] for n in cli["neighbours"]], atol=1e-3)

    silent = next(r for r in range(model.rowCount()) if model.path(r) == a / "silent.flac")
    page.table.select_ids([model.track_id(silent)])
    qtbot.waitUntil(lambda: "silent" in page.similar.list.topLevelItem(0).text(1)
                    if page.similar.list.topLevelItemCount() else False, timeout=20000)
    assert page.similar.results() == []


def test_removing_a_folder_asks_before_its_results_go(qtbot, window, cli_library):
    a, b, db = cli_library
    page = shown_page(qtbot, window)
    item = next(page.folders.list.item(i) for i in range(page.folders.list.count())
                if page.folders.list.item(i).text() == str(a))
    item.setSelected(True)
    page.folders.remove_button.click()
    assert "5 files" in page.remove_dialog.text()
    answer(qtbot, page, "Cancel")
    assert page.folders.folders() == [a, b] and db_state(db) == ([str(a), str(b)], 10)

    item.setSelected(True)
    page.folders.remove_button.click()
    with qtbot.waitSignal(page.loaded, timeout=20000):
        answer(qtbot, page, "Keep")
    assert page.folders.folders() == [b] and db_state(db) == ([str(b)], 10)  # results kept
    assert page.table.model.rowCount() == 8

    page.folders.list.item(0).setSelected(True)
    page.folders.remove_button.click()
    with qtbot.waitSignal(page.loaded, timeout=20000):
        answer(qtbot, page, "Forget 5")
    assert page.folders.folders() == [] and db_state(db) == ([], 5)
    assert page.table.model.rowCount() == 4 and page.failures.count() == 1
    assert all(Path(p).is_file() for p in (b / "track 0.wav", b / "silent.flac"))  # files untouched


def test_folder_list_merges_the_databases_folders(qtbot, settings, tmp_path):
    (tmp_path / "a" / "in").mkdir(parents=True)
    (tmp_path / "b").mkdir()
    (tmp_path / "to b").symlink_to(tmp_path / "b")
    folders = FolderList(settings)
    qtbot.addWidget(folders)
    assert folders.add_folder(tmp_path / "b")
    folders.set_library_folders([str(tmp_path / "to b"), str(tmp_path / "a" / "in"), str(tmp_path / "a")])
    assert folders.folders() == [(tmp_path / "b").resolve(), tmp_path / "a"]  # once each; "in" is inside "a"
    assert settings.library_folders == [str((tmp_path / "b").resolve())]  # the settings keep the page's own
    assert "library database" in folders.list.item(1).toolTip()
    folders.remove_folders([str(tmp_path / "a")])
    assert folders.folders() == [(tmp_path / "b").resolve()] and folders.library_folders() == [str(tmp_path / "to b")]
