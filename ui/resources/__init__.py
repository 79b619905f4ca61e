"""Finding Kindred's resources (icons, help pages) from the source tree, a wheel and the bundle.

The files live beside this module, in the ``ui.resources`` package: ``pip install .`` ships them as
package data, and ``build_installer.spec`` copies the folder into the bundle as ``ui/resources``,
so one relative name works everywhere.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon

RESOURCES_DIRNAME = "ui/resources"
# The sizes drawn from the SVG; QIcon picks the nearest for title bars, task bars and docks.
# 1024 px is left out: it is only for the macOS .icns and would cost 4 MB of memory here.
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def resources_dir() -> Path:
    """The folder holding Kindred's resources in this copy of the application."""
    bundle_root = getattr(sys, "_MEIPASS", None)
    if bundle_root is not None:
        # PyInstaller unpacks data files below sys._MEIPASS (the bundle's internal folder).
        return Path(bundle_root) / RESOURCES_DIRNAME
    return Path(__file__).resolve().parent


def resource_path(name: str) -> Path:
    """The path of a resource file, given its name relative to ``ui/resources/`` (``"kindred.svg"``).

    Raises:
        FileNotFoundError: the file is missing from this copy of Kindred (a packaging bug).
    """
    path = resources_dir() / name
    if not path.exists():
        raise FileNotFoundError(f"Kindred's resource {name!r} is missing: looked for {path}")
    return path


def app_icon() -> QIcon:
    """Kindred's application icon, with a hand-drawn bitmap for every common size.

    Returns an empty icon rather than failing if the files are missing: an icon is not worth
    refusing to start over.
    """
    icon = QIcon()
    folder = resources_dir() / "icons"
    for size in ICON_SIZES:
        path = folder / f"kindred-{size}.png"
        if path.exists():
            icon.addFile(str(path), QSize(size, size))
    return icon
