"""The Library page's widgets on their own: the column-array table (sort, filter, selection kept), 100,000 rows,
genre counts, the failures tab, the folder list and the write-tags dialog."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QPoint, Qt

from genrelab.gui.pages.library.folder_list import FolderList
from genrelab.gui.pages.library.genre_counts import ROW_H, GenreCounts
from genrelab.gui.pages.library.records import TagChange, TrackRows
from genrelab.gui.pages.library.tag_dialog import WriteTagsDialog
from genrelab.gui.pages.library.track_model import CONFIDENCE, DURATION, GENRE, PATH
from genrelab.gui.pages.library.track_table import TrackTable

LABELS = ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"]


def synthetic_rows(n: int, seed: int = 0) -> TrackRows:
    rng = np.random.default_rng(seed)
    paths = np.array([f"/music/Artist {i % 997}/Album {i % 31}/{i:06d} Track.mp3" for i in range(n)], dtype=object)
    rng.shuffle(paths)
    return TrackRows(np.arange(1, n + 1), paths, rng.integers(0, len(LABELS), n),
                     rng.random(n).astype(np.float32), (rng.random(n) * 400).astype(np.float32), LABELS)


def shown(table: TrackTable, column: int) -> list:
    model = table.model
    return [model.data(model.index(r, column)) for r in range(model.rowCount())]


def test_sorting_each_column_both_ways_and_ties_by_path(qtbot):
    table = TrackTable()
    qtbot.addWidget(table)
    rows = synthetic_rows(500)
    rows.confidence[:50] = 0.5  # ties
    table.set_rows(rows)
    model = table.model
    assert model.rowCount() == 500
    for column in (GENRE, CONFIDENCE, DURATION, PATH):
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            table.view.sortByColumn(column, order)
            raw = rows.ids[model._visible] - 1
            key = {GENRE: np.asarray(LABELS)[rows.genres[raw]], CONFIDENCE: rows.confidence[raw],
                   DURATION: rows.duration[raw], PATH: np.char.lower(rows.paths[raw].astype(str))}[column]
            pairs = list(key)
            expected = sorted(pairs, reverse=order == Qt.SortOrder.DescendingOrder)
            assert pairs == expected, (column, order)
    table.view.sortByColumn(CONFIDENCE, Qt.SortOrder.AscendingOrder)
    tied = [str(model.path(r)).lower() for r in range(model.rowCount())
            if model.rows.confidence[model._visible[r]] == np.float32(0.5)]
    assert len(tied) == 50 and tied == sorted(tied)
    assert shown(table, CONFIDENCE)[0].endswith("%")
    assert ":" in shown(table, DURATION)[0]


def test_filter_by_text_and_genre_keeps_the_selection(qtbot):
    table = TrackTable()
    qtbot.addWidget(table)
    rows = synthetic_rows(2000)
    table.set_rows(rows)
    keep = int(np.flatnonzero(rows.genres == LABELS.index("jazz"))[0])
    table.select_ids([int(rows.ids[keep])])
    with qtbot.waitSignal(table.selection_changed) as blocker:
        table.set_genre("jazz")
    assert blocker.args[0] == [int(rows.ids[keep])]
    assert set(shown(table, GENRE)) == {"jazz"}
    assert table.model.rowCount() == int((rows.genres == LABELS.index("jazz")).sum())
    assert table.count_label.text() == f"{table.model.rowCount():,} of 2,000 tracks"

    table.filter_box.setText("ALBUM 7/")  # case-insensitive path match, applied after a pause in typing
    qtbot.waitUntil(lambda: table.model.filter_text == "album 7/", timeout=2000)
    paths = [str(p) for p in shown(table, PATH)]
    assert paths and all("Album 7/" in p for p in paths)
    assert set(shown(table, GENRE)) == {"jazz"}

    table.set_genre("")
    table.filter_box.setText("reggae")  # the text matches genre names too
    table.apply_filter()
    assert set(shown(table, GENRE)) == {"reggae"}
    table.filter_box.clear()
    table.apply_filter()
    assert table.model.rowCount() == 2000
    assert table.count_label.text() == "2,000 tracks"


def test_double_click_and_enter_request_the_track(qtbot):
    table = TrackTable()
    qtbot.addWidget(table)
    table.resize(800, 400)
    table.show()
    qtbot.waitExposed(table)
    table.set_rows(synthetic_rows(50))
    rect = table.view.visualRect(table.model.index(3, PATH))
    with qtbot.waitSignal(table.open_requested) as blocker:
        qtbot.mouseClick(table.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # as a user does
        qtbot.mouseDClick(table.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args[0] == table.model.path(3)
    table.view.setCurrentIndex(table.model.index(5, 0))
    table.view.setFocus()
    with qtbot.waitSignal(table.open_requested) as blocker:
        qtbot.keyClick(table.view, Qt.Key.Key_Return)
    assert blocker.args[0] == table.model.path(5)


def test_hundred_thousand_rows(qtbot):
    """Not timed as a pass/fail: prints how long loading, sorting and filtering 100,000 rows take."""
    table = TrackTable()
    qtbot.addWidget(table)
    table.resize(1000, 700)
    table.show()
    rows = synthetic_rows(100_000)
    t0 = time.perf_counter()
    table.set_rows(rows)
    qtbot.wait(1)
    times = {"load": time.perf_counter() - t0}
    for name, column in (("genre", GENRE), ("confidence", CONFIDENCE), ("duration", DURATION), ("path", PATH)):
        t0 = time.perf_counter()
        table.view.sortByColumn(column, Qt.SortOrder.DescendingOrder)
        qtbot.wait(1)
        times[f"sort {name}"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    table.filter_box.setText("album 3/")
    table.apply_filter()
    qtbot.wait(1)
    times["filter text"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    table.set_genre("rock")
    qtbot.wait(1)
    times["filter genre"] = time.perf_counter() - t0
    print(f"\n100,000 rows, {table.model.rowCount()} shown after filtering: "
          + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in times.items()))
    assert table.model.total() == 100_000
    assert 0 < table.model.rowCount() < 100_000


def test_genre_counts_click_selects_and_clears(qtbot):
    counts = GenreCounts()
    qtbot.addWidget(counts)
    counts.resize(300, counts.sizeHint().height())
    counts.show()
    counts.set_counts({"rock": 5, "jazz": 3, "pop": 0})
    assert counts.total() == 8
    assert counts.genre_at(2 + ROW_H * 1.5) == "jazz"
    with qtbot.waitSignal(counts.genre_clicked) as blocker:
        qtbot.mouseClick(counts, Qt.MouseButton.LeftButton, pos=QPoint(150, int(2 + ROW_H * 1.5)))
    assert blocker.args == ["jazz"] and counts.selected == "jazz"
    with qtbot.waitSignal(counts.genre_clicked) as blocker:
        qtbot.mouseClick(counts, Qt.MouseButton.LeftButton, pos=QPoint(150, int(2 + ROW_H * 1.5)))
    assert blocker.args == [""] and counts.selected == ""
    image = counts.grab().toImage()  # the rock bar (the longest) is drawn in rock's colour
    colour = image.pixelColor(int(counts.width() * 0.45), int(2 + ROW_H * 0.5)).name()
    assert colour == "#d62728"


def test_folder_list_adds_removes_and_remembers(qtbot, settings, tmp_path):
    (tmp_path / "a" / "inner").mkdir(parents=True)
    (tmp_path / "b").mkdir()
    folders = FolderList(settings)
    qtbot.addWidget(folders)
    assert folders.add_folder(tmp_path / "a" / "inner")
    assert not folders.add_folder(tmp_path / "a" / "inner")  # already there
    assert folders.add_folder(tmp_path / "a")  # a parent replaces the folder inside it
    assert folders.add_folder(tmp_path / "b")
    assert not folders.add_folder(tmp_path / "missing")
    assert folders.folders() == [(tmp_path / "a").resolve(), (tmp_path / "b").resolve()]
    assert settings.library_folders == [str((tmp_path / "a").resolve()), str((tmp_path / "b").resolve())]
    folders.list.item(0).setSelected(True)
    with qtbot.waitSignal(folders.remove_requested) as asked:  # the page asks the user, then removes
        folders.remove_selected()
    assert asked.args == [[str((tmp_path / "a").resolve())]] and len(folders.folders()) == 2
    folders.remove_folders(asked.args[0])
    assert folders.folders() == [(tmp_path / "b").resolve()]
    (tmp_path / "b").rmdir()
    again = FolderList(settings)
    qtbot.addWidget(again)
    assert again.folders() == [(tmp_path / "b").resolve()]
    assert "(missing)" in again.list.item(0).text() and again.existing_folders() == []


def test_write_tags_dialog_lists_every_change(qtbot):
    changes = [TagChange("/m/b.flac", "", "rock", True), TagChange("/m/a.mp3", "Jazz", "blues", False,
                                                                     "has a genre tag (overwrite is off)"),
               TagChange("/m/c.ogg", "Pop", "metal", True)]
    dialog = WriteTagsDialog(changes, overwrite=False)
    qtbot.addWidget(dialog)
    assert dialog.listed_paths() == ["/m/b.flac", "/m/c.ogg", "/m/a.mp3"]  # writes first
    assert dialog.model.items[0] == ("/m/b.flac", "—", "rock", "write")
    assert dialog.model.items[1] == ("/m/c.ogg", "Pop", "metal", "write")
    assert dialog.model.items[2][3] == "has a genre tag (overwrite is off)"
    assert dialog.write_button.text() == "Write 2 tags"
    assert "2 files" in dialog.summary.text() and "1 file" in dialog.summary.text()
    none = WriteTagsDialog([changes[1]], overwrite=False)
    qtbot.addWidget(none)
    assert not none.write_button.isEnabled()


def test_dropping_a_folder_adds_it(qtbot, settings, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    folders = FolderList(settings)
    qtbot.addWidget(folders)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path)), QUrl.fromLocalFile(str(tmp_path / "not-there"))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(folders.folders_changed):
        folders.dropEvent(event)
    assert folders.folders() == [tmp_path.resolve()]
