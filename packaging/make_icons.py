"""Draw GenreLab's icon: a spectrogram (harmonics rising over time, in the app's magma colours) under a waveform.

    python packaging/make_icons.py        writes resources/icons/genrelab.svg and genrelab-N.png (N = 16...512)

The SVG is written from code (deterministic), the PNGs are rendered from it with Qt's SVG renderer (PySide6,
already a dependency), so nothing else is needed to redraw them.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)

# magma, from dark to bright (as the app's default spectrogram colormap)
MAGMA = ["#1c1036", "#3b0f70", "#641a80", "#8c2981", "#b73779", "#de4968", "#f7705c", "#fe9f6d", "#fecf92",
         "#fcfdbf"]


def _cell_level(col: int, row: int, cols: int, rows: int) -> float:
    """0..1 energy of a spectrogram cell: a fundamental and two harmonics that rise, then fall, over time."""
    f0 = 1.8 + 1.7 * math.sin(math.pi * col / (cols - 1))  # in rows from the bottom
    y = rows - 1 - row
    level = 0.0
    for h, gain in ((1, 1.0), (2, 0.75), (3, 0.5)):
        level = max(level, gain * math.exp(-((y - f0 * h) ** 2) / 0.8))
    floor = 0.12 + 0.08 * ((col * 7 + row * 3) % 5) / 4  # a little texture in the background
    return max(level, floor)


def svg() -> str:
    """The icon as SVG text (256 x 256 user units)."""
    cols, rows = 16, 14
    x0, y0, w, h = 34.0, 40.0, 188.0, 176.0
    cw, ch = w / cols, h / rows
    cells = []
    for c in range(cols):
        for r in range(rows):
            level = _cell_level(c, r, cols, rows)
            colour = MAGMA[min(len(MAGMA) - 1, int(level * (len(MAGMA) - 1) + 0.5))]
            cells.append(f'<rect x="{x0 + c * cw:.2f}" y="{y0 + r * ch:.2f}" width="{cw + 0.4:.2f}" '
                         f'height="{ch + 0.4:.2f}" fill="{colour}"/>')
    # a waveform across the middle: a decaying tone burst, three times
    points = []
    n = 120
    for i in range(n + 1):
        t = i / n
        envelope = 0.25 + 0.75 * math.exp(-((t * 3) % 1.0) * 3.0)
        y = 128 - 50 * envelope * math.sin(2 * math.pi * 6.5 * t)
        points.append(f"{22 + 212 * t:.1f},{y:.1f}")
    wave = " ".join(points)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">\n'
        '  <title>GenreLab</title>\n'
        '  <defs><clipPath id="frame"><rect x="34" y="40" width="188" height="176" rx="10"/></clipPath></defs>\n'
        '  <rect x="8" y="8" width="240" height="240" rx="48" fill="#1b1d27"/>\n'
        '  <rect x="8" y="8" width="240" height="240" rx="48" fill="none" stroke="#3a3f55" stroke-width="4"/>\n'
        f'  <g clip-path="url(#frame)">\n    {chr(10).join("    " + c for c in cells).strip()}\n  </g>\n'
        f'  <polyline points="{wave}" fill="none" stroke="#0b0c12" stroke-width="18" stroke-linejoin="round" '
        'stroke-linecap="round" opacity="0.85"/>\n'
        f'  <polyline points="{wave}" fill="none" stroke="#8fd3ff" stroke-width="9" stroke-linejoin="round" '
        'stroke-linecap="round"/>\n'
        '</svg>\n'
    )


def render_pngs(svg_path: Path) -> list[Path]:
    """Render ``svg_path`` to genrelab-N.png beside it for every size in PNG_SIZES."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - QPainter needs one
    renderer = QSvgRenderer(str(svg_path))
    if not renderer.isValid():
        raise SystemExit(f"{svg_path}: Qt cannot read this SVG")
    out = []
    for size in PNG_SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        path = svg_path.with_name(f"genrelab-{size}.png")
        if not image.save(str(path), "PNG"):
            raise SystemExit(f"{path}: cannot write")
        out.append(path)
    return out


def main() -> int:
    ICONS.mkdir(parents=True, exist_ok=True)
    svg_path = ICONS / "genrelab.svg"
    svg_path.write_text(svg(), encoding="utf-8")
    for path in [svg_path, *render_pngs(svg_path)]:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
