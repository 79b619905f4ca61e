"""Make Kindred's icon files from ``ui/resources/kindred.svg``.

Qt's SVG renderer draws each PNG size straight from the vector source (so 16 px is drawn at 16 px,
not shrunk from a big bitmap); Pillow then writes them out and packs the Windows ``.ico`` and the
macOS ``.icns``. Pillow is needed only here, not by the application::

    python -m pip install pillow
    python ui/resources/make_icons.py

Commit the SVG and every generated file together.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PIL import Image

# The shipped icon files live in the ui package (package data); this folder holds the tools.
HERE = Path(__file__).resolve().parent.parent / "ui" / "resources"
SOURCE = HERE / "kindred.svg"
PNG_DIR = HERE / "icons"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
# Windows shows 16-48 px in lists and title bars and up to 256 px in large Explorer views.
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# Pillow's ICNS writer stores 32-1024 px (16 px Retina-less entries are not needed by macOS 11+).
ICNS_SIZES = (32, 64, 128, 256, 512, 1024)


def render(size: int) -> Image.Image:
    """Draw the SVG at ``size`` × ``size`` pixels with Qt and hand the pixels to Pillow."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        raise SystemExit(f"{SOURCE} is not a valid SVG file")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    # Straight (not premultiplied) RGBA is what PNG and Pillow expect.
    rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)
    data = bytes(rgba.constBits())
    return Image.frombuffer("RGBA", (size, size), data, "raw", "RGBA", rgba.bytesPerLine(), 1).copy()


def main() -> int:
    from PySide6.QtGui import QGuiApplication

    # Drawing needs a QGuiApplication but no screen.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    PNG_DIR.mkdir(exist_ok=True)
    images = {size: render(size) for size in PNG_SIZES}
    for size, image in images.items():
        image.save(PNG_DIR / f"kindred-{size}.png", optimize=True)

    largest_ico = images[max(ICO_SIZES)]
    largest_ico.save(
        HERE / "kindred.ico",
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=[images[s] for s in ICO_SIZES if s != max(ICO_SIZES)],
    )
    images[1024].save(HERE / "kindred.icns", append_images=[images[s] for s in ICNS_SIZES if s != 1024])
    del app
    written = [*(f"icons/kindred-{s}.png" for s in PNG_SIZES), "kindred.ico", "kindred.icns"]
    print("Wrote " + ", ".join(written))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
