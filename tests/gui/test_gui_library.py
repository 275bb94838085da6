"""The Library page in the window: a real generated library scanned into a real SQLite store with the tiny ONNX
model; the table, genre counts, failures, cancel and resume, opening on the Analyse page, similar tracks, exports."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import SR, write_track
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from genrelab.audio.synthesis import music_like
from genrelab.gui.pages.library.track_model import CONFIDENCE, PATH

N_GOOD = 8  # analysable tracks in the small library (6 WAV, 1 FLAC, 1 OGG)


def make_library(folder: Path, n_wav: int = 6, seconds: float = 7.0) -> Path:
    """A folder of generated tracks (WAV in a sub-folder, FLAC, OGG), a corrupt MP3 and an empty FLAC."""
    (folder / "Album ü").mkdir(parents=True)
    for i in range(n_wav):
        write_track(folder / "Album ü" / f"track {i:02d}.wav", seconds, seed=i)
    y = music_like(seconds, SR, seed=50, tempo_bpm=140, drums=1.0)
    sf.write(folder / "loud.flac", y, SR, format="FLAC")
    sf.write(folder / "soft.ogg", 0.5 * music_like(seconds, SR, seed=60, tempo_bpm=70), SR, format="OGG")
    (folder / "broken.mp3").write_bytes(b"ID3 this is not audio " * 200)
    (folder / "empty.flac").write_bytes(b"")
    (folder / ".hidden.wav").write_bytes(b"")  # hidden files are skipped
    return folder


@pytest.fixture(scope="module")
def library_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_library(tmp_path_factory.mktemp("music"))


@pytest.fixture
def page(window, tmp_path: Path):
    """The Library page on its own database in tmp_path, shown."""
    page = window.pages["library"]
    page.set_database(tmp_path / "library.sqlite")
    page.scan_jobs = 0  # decode in the worker: quicker than starting processes for a few short tracks
    window.show_page("library")
    return page


def scan(qtbot, page, folder: Path | None = None, outcome: str = "done", timeout: int = 120000) -> None:
    if folder is not None:
        assert page.folders.add_folder(folder)
    with qtbot.waitSignal(page.scan_finished, timeout=timeout) as finished:
        page.scan_controls.scan_button.click()
    assert finished.args == [outcome]
    qtbot.waitUntil(lambda: not page._loading, timeout=20000)


def db_rows(page) -> list[tuple[str, str]]:
    with sqlite3.connect(page.database()) as conn:
        return conn.execute("SELECT path, status FROM tracks ORDER BY path").fetchall()


def test_scan_fills_table_counts_and_failures(qtbot, window, page, library_folder):
    assert page.scan_controls.scan_button.isEnabled() is False  # no folder yet
    scan(qtbot, page, library_folder)
    table = page.table
    assert table.model.rowCount() == N_GOOD
    paths = {str(table.model.path(r)) for r in range(N_GOOD)}
    assert str(library_folder / "Album ü" / "track 00.wav") in paths and str(library_folder / "soft.ogg") in paths
    assert sum(page.counts.counts.values()) == N_GOOD
    assert list(page.counts.counts) == list(window.engine_state.engine.card.labels)
    failed = dict(page.failures.model.items)
    assert set(failed) == {str(library_folder / "broken.mp3"), str(library_folder / "empty.flac")}
    assert all(reason for reason in failed.values())
    assert page.tabs.tabText(page.tabs.indexOf(page.failures)) == "Failures (2)"
    assert "10 analysed" not in page.scan_controls.message.text()  # 10 files: 8 good + 2 failures
    assert "10 audio files: 8 analysed, 2 failed of 10" in page.scan_controls.message.text()
    assert page.scan_controls.scan_button.text() == "Scan"
    assert len(db_rows(page)) == 10

    # a second scan finds nothing new and keeps every row
    scan(qtbot, page)
    assert "0 analysed" in page.scan_controls.message.text() and "10 unchanged" in page.scan_controls.message.text()
    assert table.model.rowCount() == N_GOOD and len(db_rows(page)) == 10


def test_sort_filter_and_open_on_the_analyse_page(qtbot, window, page, library_folder):
    scan(qtbot, page, library_folder)
    table = page.table
    table.view.sortByColumn(CONFIDENCE, Qt.SortOrder.DescendingOrder)
    shown = [float(table.model.data(table.model.index(r, CONFIDENCE)).rstrip("%")) for r in range(N_GOOD)]
    assert shown == sorted(shown, reverse=True)
    table.filter_box.setText("album ü")
    table.apply_filter()
    assert table.model.rowCount() == 6
    genre = table.model.data(table.model.index(0, 0))
    page.counts.genre_clicked.emit(genre)  # as a click on its bar
    assert table.genre() == genre and set(
        table.model.data(table.model.index(r, 0)) for r in range(table.model.rowCount())) == {genre}
    table.set_genre("")
    table.view.sortByColumn(PATH, Qt.SortOrder.AscendingOrder)
    rect = table.view.visualRect(table.model.index(2, PATH))
    target = table.model.path(2)
    with qtbot.waitSignal(window.page.analysis_ready, timeout=60000):
        qtbot.mouseClick(table.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(table.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.current_page_key() == "analyse"
    assert window.page.path == target


def test_similar_tracks_by_genre_and_by_sound(qtbot, page, library_folder):
    scan(qtbot, page, library_folder)
    table = page.table
    query = table.model.track_id(0)
    page.similar.by.setCurrentIndex(page.similar.by.findData("genre"))
    table.select_ids([query])
    qtbot.waitUntil(lambda: len(page.similar.results()) == N_GOOD - 1, timeout=20000)
    results = page.similar.results()
    distances = [d for _p, d in results]
    assert distances == sorted(distances)
    assert str(table.model.path(0)) not in [p for p, _d in results]
    assert all(0.0 <= d <= 1.0 for d in distances)  # Jensen-Shannon distance (base 2)

    page.similar.k.setValue(3)
    qtbot.waitUntil(lambda: len(page.similar.results()) == 3, timeout=20000)
    assert page.similar.results() == results[:3]

    sound = page.similar.by.model().item(page.similar.by.findData("sound"))
    assert sound.isEnabled()  # the tiny model exports an embedding
    page.similar.by.setCurrentIndex(page.similar.by.findData("sound"))
    qtbot.waitUntil(lambda: bool(page.similar.results()) and page.similar.results() != results[:3], timeout=20000)
    by_sound = [d for _p, d in page.similar.results()]
    assert by_sound == sorted(by_sound) and len(by_sound) == 3


def test_cancel_then_resume(qtbot, window, page, tmp_path, monkeypatch):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(24):
        write_track(folder / f"t{i:02d}.wav", 6.0, seed=i)
    assert page.folders.add_folder(folder)
    with qtbot.waitSignal(page.scan_finished, timeout=120000) as finished:
        page.scan_controls.scan_button.click()
        qtbot.waitUntil(lambda: "tracks/s" in page.scan_controls.message.text(), timeout=60000)
        assert "library scan" in page.busy_reason()
        assert window.busy_reasons() == [page.busy_reason()]
        asked: list[str] = []
        monkeypatch.setattr(QMessageBox, "question", lambda _parent, _title, text, *_a: (
            asked.append(text), QMessageBox.StandardButton.No)[1])
        window.close()  # the user is asked first, says No: the window and the scan go on
        assert asked and "library scan" in asked[0]
        assert window.isVisible() and page.scanning()
        page.scan_controls.cancel_button.click()
    assert finished.args == ["cancelled"]
    assert page.busy_reason() == ""
    qtbot.waitUntil(lambda: not page._loading, timeout=20000)
    done = len(db_rows(page))
    assert 1 <= done < 24
    assert page.table.model.rowCount() == done
    assert page.scan_controls.scan_button.text() == "Resume scan"

    with qtbot.waitSignal(page.scan_finished, timeout=120000) as finished:
        page.scan_controls.scan_button.click()
    assert finished.args == ["done"]
    qtbot.waitUntil(lambda: not page._loading, timeout=20000)
    assert f"{24 - done} analysed" in page.scan_controls.message.text()
    assert f"{done} unchanged" in page.scan_controls.message.text()
    rows = db_rows(page)
    assert len(rows) == 24 and len({p for p, _s in rows}) == 24 and {s for _p, s in rows} == {"ok"}
    assert page.table.model.rowCount() == 24
    with sqlite3.connect(page.database()) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_exports(qtbot, page, library_folder, tmp_path):
    scan(qtbot, page, library_folder)
    for kind, path in (("csv", tmp_path / "lib.csv"), ("json", tmp_path / "lib.json"), ("m3u", tmp_path / "lists")):
        with qtbot.waitSignal(page.message, timeout=20000) as message:
            page.export(kind, path)
        assert str(path) in message.args[0]
    with open(tmp_path / "lib.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 10 and {r["status"] for r in rows} == {"ok", "failed"}
    data = json.loads((tmp_path / "lib.json").read_text(encoding="utf-8"))
    assert len(data["tracks"]) == 10
    lists = sorted((tmp_path / "lists").glob("*.m3u"))
    entries = [line for p in lists for line in p.read_text(encoding="utf-8").splitlines()
               if line and not line.startswith("#")]
    assert sorted(entries) == sorted(str(page.table.model.path(r)) for r in range(N_GOOD))
    assert {p.stem for p in lists} == {g for g, n in page.counts.counts.items() if n}


def test_decoding_processes_and_a_new_window_shows_the_same_library(qtbot, window, page, settings, tiny_model,
                                                                     library_folder, tmp_path):
    """The app's default scan (a pool of decoding processes); the folders and the database are remembered."""
    page.scan_jobs = None
    scan(qtbot, page, library_folder)
    assert page.table.model.rowCount() == N_GOOD
    assert settings.library_database == str(tmp_path / "library.sqlite")
    assert settings.library_folders == [str(library_folder.resolve())]

    from genrelab.gui.main_window import MainWindow

    again = MainWindow(settings=settings, model=tiny_model)
    qtbot.addWidget(again)
    other = again.pages["library"]
    with qtbot.waitSignal(other.loaded, timeout=20000):
        again.show_page("library")
    assert other.database() == page.database()
    assert other.folders.folders() == [library_folder.resolve()]
    assert sorted(map(str, (other.table.model.path(r) for r in range(N_GOOD)))) == sorted(
        map(str, (page.table.model.path(r) for r in range(N_GOOD))))
    assert other.failures.count() == 2
    again.close()


def _genre(path: Path) -> list[str] | None:
    from genrelab.library.tags import read_genre

    return read_genre(path).values


def test_write_tags_after_the_confirmation_and_undo(qtbot, window, page, tmp_path, monkeypatch):
    from mutagen.oggvorbis import OggVorbis

    folder = tmp_path / "to tag"
    folder.mkdir()
    files = {"flac": folder / "a.flac", "mp3": folder / "b.mp3", "ogg": folder / "c.ogg", "wav": folder / "d.wav",
             "au": folder / "e.au"}  # WAV: an ID3 chunk; Sun au: no genre tag GenreLab writes
    for i, (fmt, path) in enumerate(files.items()):
        sf.write(path, music_like(6.0, SR, seed=70 + i), SR, format=fmt.upper())
    tagged = OggVorbis(files["ogg"])
    tagged["genre"] = ["Jazz"]
    tagged.save()
    audio_before = {k: sf.read(p)[0] for k, p in files.items()}
    scan(qtbot, page, folder)
    genres = {str(page.table.model.path(r)): page.table.model.data(page.table.model.index(r, 0))
              for r in range(page.table.model.rowCount())}
    from genrelab.library.tags import display_genre

    def confirm(overwrite: bool) -> list[tuple[str, ...]]:
        page.tags.overwrite.setChecked(overwrite)
        qtbot.waitUntil(page.tags.write_button.isEnabled, timeout=20000)  # as a user waits for the button
        page.tags.write_button.click()
        qtbot.waitUntil(lambda: page.tag_dialog is not None and page.tag_dialog.isVisible(), timeout=20000)
        listed = list(page.tag_dialog.model.items)
        assert sorted(page.tag_dialog.listed_paths()) == sorted(map(str, files.values()))  # every file listed
        with qtbot.waitSignal(page.message, timeout=20000) as message:
            page.tag_dialog.accept()  # the user presses Write
        page.last_message = message.args[0]
        qtbot.waitUntil(lambda: not page._loading and not page.tags_busy(), timeout=20000)
        return listed

    qtbot.waitUntil(page.tags.write_button.isEnabled, timeout=20000)
    page.tags.write_button.click()  # Cancel in the dialog: nothing is written
    qtbot.waitUntil(lambda: page.tag_dialog is not None and page.tag_dialog.isVisible(), timeout=20000)
    page.tag_dialog.reject()
    assert page.tag_dialog is None and not page.tags_busy()
    assert _genre(files["flac"]) is None and _genre(files["ogg"]) == ["Jazz"]
    assert not page.tags.undo_button.isEnabled()

    listed = {row[0]: row for row in confirm(overwrite=False)}
    new_flac = display_genre(genres[str(files["flac"])])
    assert listed[str(files["flac"])] == (str(files["flac"]), "—", new_flac, "write")
    assert listed[str(files["mp3"])][3] == "write" and listed[str(files["wav"])][3] == "write"
    assert listed[str(files["ogg"])][1:] == ("Jazz", "Jazz", "has a genre tag (overwrite is off)")
    assert listed[str(files["au"])][3].startswith("no genre tag")
    assert page.last_message.startswith("Wrote the genre tag of 3 files")
    assert _genre(files["flac"]) == [new_flac]
    for key in ("mp3", "wav"):
        assert _genre(files[key]) == [display_genre(genres[str(files[key])])]
    assert _genre(files["ogg"]) == ["Jazz"]
    for key, path in files.items():  # only metadata changed
        np.testing.assert_array_equal(sf.read(path)[0], audio_before[key])
    assert page.tags.undo_button.isEnabled()

    listed = {row[0]: row for row in confirm(overwrite=True)}
    assert listed[str(files["ogg"])][1:] == ("Jazz", display_genre(genres[str(files["ogg"])]), "write")
    assert listed[str(files["flac"])][3] == "already has this genre"
    assert _genre(files["ogg"]) == [display_genre(genres[str(files["ogg"])])]

    monkeypatch.setattr(QMessageBox, "question", lambda *_a: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(page.message, timeout=20000) as message:
        page.tags.undo_button.click()
    assert message.args[0].startswith("Restored the genre tag of 4 files")
    qtbot.waitUntil(lambda: not page._loading and not page.tags_busy(), timeout=20000)
    assert _genre(files["flac"]) is None and _genre(files["mp3"]) is None and _genre(files["ogg"]) == ["Jazz"]
    assert _genre(files["wav"]) is None
    assert not page.tags.undo_button.isEnabled()
    for key, path in files.items():
        np.testing.assert_array_equal(sf.read(path)[0], audio_before[key])
    # tagging changed the files' bytes, not their audio: a rescan finds nothing to analyse again
    scan(qtbot, page)
    assert "0 analysed" in page.scan_controls.message.text()
    assert f"{len(files)} unchanged" in page.scan_controls.message.text()
