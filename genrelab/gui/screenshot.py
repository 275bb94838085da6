"""``genrelab --screenshot OUT.png FILE``: open FILE, wait until everything is drawn, save the window, exit."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from genrelab.gui.main_window import MainWindow

SIZE = (1600, 1000)
TIMEOUT_MS = 10 * 60 * 1000
SETTLE_MS = 300  # let the last results paint


def take_screenshot(app: QApplication, window: MainWindow, file: Path | None, out: Path,
                    timeout_ms: int = TIMEOUT_MS) -> int:
    """Render ``window`` on ``file`` to ``out`` (PNG). 0 on success; 2 with a one-line message on failure."""
    window.resize(*SIZE)
    window.show()
    state: dict[str, object] = {"code": None, "error": ""}
    page = window.page

    def finish(code: int, error: str = "") -> None:
        if state["code"] is None:
            state["code"], state["error"] = code, error
            app.quit()

    def grab() -> None:
        if page.path is None and file is not None:  # the file failed to open
            finish(2, window.last_error or f"{file}: could not be opened")
            return
        engine = window.engine_state
        if engine.problem and engine.model is not None:  # a model was named and does not load
            finish(2, engine.status)
            return
        if page.analysis_error:
            finish(2, page.analysis_error)
            return
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            finish(2, f"{out}: cannot create the folder ({exc.strerror})")
            return
        if not window.grab().save(str(out), "PNG"):
            finish(2, f"{out}: cannot write the screenshot")
            return
        finish(0)

    shown_key = window.current_page_key()

    def shown_page_ready() -> bool:
        ready = getattr(window.pages.get(shown_key), "screenshot_ready", None)
        return not callable(ready) or bool(ready())

    def check() -> None:
        if state["code"] is not None or page.busy() or window.engine_state.loading:
            return
        if not shown_page_ready():
            QTimer.singleShot(100, check)
            return
        if file is not None and page.track is None and page.path is not None:
            return  # decoding has not started or finished yet
        if not state.get("scheduled"):
            state["scheduled"] = True
            page.idle.disconnect(check)
            QTimer.singleShot(SETTLE_MS, grab)

    page.idle.connect(check)
    if file is not None:
        window.open_file(file)
        window.show_page(shown_key)
    QTimer.singleShot(0, check)
    QTimer.singleShot(timeout_ms, lambda: finish(2, f"timed out after {timeout_ms // 1000} s"))
    app.exec()
    page.shutdown()
    window.runner.wait(3000)
    if state["code"] != 0:
        print(f"error: {state['error']}", file=sys.stderr)
    return int(state["code"] if state["code"] is not None else 2)
