"""Entry point of the desktop app: ``genrelab [FILE]`` and ``genrelab --screenshot OUT.png [--page analyse] FILE``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from genrelab.gui.main_window import MainWindow
from genrelab.gui.pages import PAGE_KEYS

ENGINE_DEFAULTS = {"backend": "onnx", "device": "auto"}  # the CLI's defaults: anything else was asked for


def _needs_offscreen() -> bool:
    """A screenshot on a machine with no display renders offscreen."""
    return (sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM")
            and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"))


def make_application(argv: list[str] | None = None):  # noqa: ANN201 - QApplication
    """The QApplication (created once), named for QSettings."""
    from PySide6.QtWidgets import QApplication

    from genrelab.gui.settings import APPLICATION, ORGANISATION

    app = QApplication.instance()
    if app is None:
        app = QApplication(argv or ["genrelab"])
        # Workers run Python between their C calls; hand the GIL back to the GUI thread within 1 ms, not 5 ms.
        sys.setswitchinterval(0.001)
        from genrelab.gui.theme import apply_dark_theme

        apply_dark_theme(app)
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    _set_icon(app)
    return app


def _set_icon(app) -> None:  # noqa: ANN001 - QApplication
    """The window icon and the desktop entry it belongs to (resources/icons, resources/genrelab.desktop)."""
    from PySide6.QtGui import QIcon

    from genrelab.model.registry import resources_dir

    icon = resources_dir() / "icons" / "genrelab.svg"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    app.setDesktopFileName("genrelab")


def build_window(args: argparse.Namespace) -> MainWindow:
    """A main window with the engine options of ``args`` (backend/device only when they differ from defaults)."""
    backend = args.backend if getattr(args, "backend", "onnx") != ENGINE_DEFAULTS["backend"] else None
    device = args.device if getattr(args, "device", "auto") != ENGINE_DEFAULTS["device"] else None
    return MainWindow(model=getattr(args, "model", None), backend=backend, device=device,
                      threads=getattr(args, "threads", None))


def run_app(args: argparse.Namespace) -> int:
    """Open the app (on ``args.file`` if given); with ``args.screenshot``, render and exit instead."""
    page = getattr(args, "page", "analyse") or "analyse"
    if page not in PAGE_KEYS:
        print(f"error: unknown page {page!r} (available: {', '.join(PAGE_KEYS)})", file=sys.stderr)
        return 2
    if getattr(args, "screenshot", None) is not None and _needs_offscreen():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    app = make_application(sys.argv[:1])
    window = build_window(args)
    if window.show_page(page) is None:
        print(f"error: the {page} page is not part of this install", file=sys.stderr)
        return 2
    if getattr(args, "screenshot", None) is not None:
        from genrelab.gui.screenshot import take_screenshot

        return take_screenshot(app, window, args.file, Path(args.screenshot))
    window.show()
    if args.file is not None:
        window.open_file(args.file)
        window.show_page(page)
    return app.exec()
