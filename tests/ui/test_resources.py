"""Resources are found from the source tree and from an installed bundle; the icon has every size."""

from __future__ import annotations

import shutil
import struct
import sys
from pathlib import Path

import pytest

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QApplication

from ui.resources import ICON_SIZES, app_icon, resource_path, resources_dir

ROOT = Path(__file__).resolve().parents[2]


def test_from_the_source_tree_resources_are_the_ui_resources_package() -> None:
    assert resources_dir() == ROOT / "ui" / "resources"
    assert resource_path("kindred.svg") == ROOT / "ui" / "resources" / "kindred.svg"
    assert resource_path("icons/kindred-16.png").is_file()


def test_in_a_bundle_resources_are_found_below_its_internal_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundled = tmp_path / "_internal"
    shutil.copytree(ROOT / "ui" / "resources" / "icons", bundled / "ui" / "resources" / "icons")
    monkeypatch.setattr(sys, "_MEIPASS", str(bundled), raising=False)

    assert resource_path("icons/kindred-32.png") == bundled / "ui" / "resources" / "icons" / "kindred-32.png"
    with pytest.raises(FileNotFoundError, match=r"kindred\.svg"):
        resource_path("kindred.svg")  # not copied above: the message names what is missing


def test_the_application_icon_offers_every_drawn_size(qapp: QApplication) -> None:
    icon = app_icon()

    assert not icon.isNull()
    assert {size.width() for size in icon.availableSizes()} == set(ICON_SIZES)
    # A title bar asks for 16 px and gets the bitmap drawn for 16 px, not a shrunken big one.
    assert icon.pixmap(QSize(16, 16)).size() == QSize(16, 16)
    assert ICON_SIZES[0] == 16


def test_a_missing_icon_gives_an_empty_icon_rather_than_a_crash(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)

    assert app_icon().isNull()


def test_every_icon_file_the_build_uses_is_committed() -> None:
    for name in ("kindred.svg", "kindred.ico", "kindred.icns"):
        assert (ROOT / "ui" / "resources" / name).stat().st_size > 0, name
    for size in (*ICON_SIZES, 1024):
        assert (ROOT / "ui" / "resources" / "icons" / f"kindred-{size}.png").is_file(), size


def test_the_windows_icon_holds_16_to_256_px_and_the_macos_icon_up_to_1024_px() -> None:
    ico = (ROOT / "ui" / "resources" / "kindred.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", ico)
    # Each directory entry starts with width and height bytes; 0 means 256.
    widths = {ico[6 + 16 * i] or 256 for i in range(count)}
    assert (reserved, kind) == (0, 1)
    assert widths == {16, 24, 32, 48, 64, 128, 256}

    icns = (ROOT / "ui" / "resources" / "kindred.icns").read_bytes()
    assert icns[:4] == b"icns"
    assert struct.unpack_from(">I", icns, 4)[0] == len(icns)
    for element in (b"ic11", b"ic12", b"ic07", b"ic08", b"ic09", b"ic10"):  # 32 px … 1024 px
        assert element in icns
