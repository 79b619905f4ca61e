"""Static checks of the installer build: the spec, what it puts in and leaves out, and the entry points.

The spec is run with stand-ins for PyInstaller's build steps (``Analysis``, ``EXE``...) that record
what they are given, so these checks take a second and need no build. CI builds the real bundle and
runs its ``--self-test``.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import sys
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import crm

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "build_installer.spec"

# What PyInstaller's hooks would hand the spec, by plugin folder: (file, wanted in the bundle).
QT_PLUGINS = {
    "platforms": [
        ("libqoffscreen.so", True),
        ("libqxcb.so", True),
        ("libqwayland.so", True),
        ("libqminimal.so", True),
        ("qwindows.dll", True),
        ("libqcocoa.dylib", True),
        ("libqeglfs.so", False),
        ("libqvnc.so", False),
        ("libqminimalegl.so", False),
    ],
    "platformthemes": [("libqxdgdesktopportal.so", True), ("libqgtk3.so", False)],
    "imageformats": [
        ("libqsvg.so", True),
        ("qsvg.dll", True),
        ("libqico.so", True),
        ("libqjpeg.so", True),
        ("libqpdf.so", False),
        ("libqtiff.so", False),
    ],
    "iconengines": [("libqsvgicon.so", True)],
    "styles": [("qmodernwindowsstyle.dll", True), ("libqmacstyle.dylib", True)],
    "platforminputcontexts": [
        ("libcomposeplatforminputcontextplugin.so", True),
        ("libqtvirtualkeyboardplugin.so", False),
    ],
    "qmltooling": [("libqmldbg_tcp.so", False)],
    "sqldrivers": [("libqsqlite.so", False)],
    "generic": [("libqevdevtouchplugin.so", False)],
}

# What an analysis might have collected: (destination in the bundle, wanted).
COLLECTED = [
    ("PySide6/QtWidgets.abi3.so", True),
    ("PySide6/Qt/lib/libQt6Widgets.so.6", True),
    ("PySide6/Qt/lib/libQt6Svg.so.6", True),
    ("PySide6/Qt/lib/libicudata.so.73", True),
    ("PySide6/Qt/lib/libQt6Quick.so.6", False),
    ("PySide6/Qt/lib/libQt6Qml.so.6", False),
    ("PySide6/Qt6Pdf.dll", False),
    ("PySide6/Qt6Widgets.dll", True),
    ("PySide6/QtWidgets.pyd", True),
    ("PySide6/Qt/lib/QtWebEngineCore.framework/QtWebEngineCore", False),
    ("PySide6/Qt/plugins/platforms/libqoffscreen.so", True),
    ("PySide6/Qt/plugins/qmltooling/libqmldbg_tcp.so", False),
    ("PySide6/Qt/plugins/imageformats/libqpdf.so", False),
    ("PySide6/Qt/translations/qtbase_de.qm", False),
    ("PySide6/translations/qtbase_de.qm", False),
    ("PySide6/opengl32sw.dll", False),
    ("crm/migrations/versions/0001_initial_schema.py", True),
    ("ui/resources/kindred.svg", True),
    ("libpython3.11.so.1.0", True),
]


class FakeQtLibraryInfo:
    """Stands in for PyInstaller's Qt hook helper: offers every plugin in ``QT_PLUGINS``."""

    def collect_plugins(self, plugin_type: str) -> list[tuple[str, str]]:
        dest = f"PySide6/Qt/plugins/{plugin_type}"
        return [(f"/qt/plugins/{plugin_type}/{name}", dest) for name, _wanted in QT_PLUGINS[plugin_type]]


def collect_submodules(package: str) -> list[str]:
    """What PyInstaller's helper of that name returns: the package and every module below it."""
    module = importlib.import_module(package)
    return [package] + [info.name for info in pkgutil.walk_packages(module.__path__, f"{package}.")]


class Step:
    """Records how the spec called one PyInstaller build step."""

    def __init__(self, calls: dict[str, Step], kind: str, *args: Any, **kwargs: Any) -> None:
        self.args = args
        self.kwargs = kwargs
        calls[kind] = self
        if kind == "Analysis":
            self.binaries = [(dest, f"/src/{dest}", "BINARY") for dest, _wanted in COLLECTED]
            self.datas = [(dest, f"/src/{dest}", "DATA") for dest, _wanted in COLLECTED]
            self.pure: list[Any] = []
            self.scripts: list[Any] = []


def run_spec(platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Run the spec as PyInstaller would on ``platform``; returns its globals and the steps called."""
    qt_hooks = ModuleType("PyInstaller.utils.hooks.qt")
    qt_hooks.QtLibraryInfo = type("QtLibraryInfo", (FakeQtLibraryInfo,), {})  # type: ignore[attr-defined]
    hooks = ModuleType("PyInstaller.utils.hooks")
    hooks.qt = qt_hooks  # type: ignore[attr-defined]
    hooks.collect_submodules = collect_submodules  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "PyInstaller.utils.hooks", hooks)
    monkeypatch.setitem(sys.modules, "PyInstaller.utils.hooks.qt", qt_hooks)
    if "PyInstaller.utils" not in sys.modules:
        package = ModuleType("PyInstaller")
        utils = ModuleType("PyInstaller.utils")
        package.utils = utils  # type: ignore[attr-defined]
        utils.hooks = hooks  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "PyInstaller", package)
        monkeypatch.setitem(sys.modules, "PyInstaller.utils", utils)
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr(sys, "path", list(sys.path))

    calls: dict[str, Step] = {}
    namespace: dict[str, Any] = {
        "__name__": "__main__",
        "__file__": str(SPEC),
        "SPECPATH": str(ROOT),
        "DISTPATH": str(tmp_path / "dist"),
    }
    for kind in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE"):
        namespace[kind] = lambda *args, _kind=kind, **kwargs: Step(calls, _kind, *args, **kwargs)
    exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)
    namespace["calls"] = calls
    namespace["qt_info"] = qt_hooks.QtLibraryInfo()
    return namespace


def test_the_spec_is_valid_python() -> None:
    compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec")


def test_linux_build_makes_a_kindred_folder_with_migrations_resources_and_the_self_test(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = run_spec("linux", tmp_path, monkeypatch)
    analysis = spec["calls"]["Analysis"]
    exe = spec["calls"]["EXE"]

    entry = Path(analysis.args[0][0])
    assert entry == ROOT / "ui" / "__main__.py" and entry.is_file()
    datas = analysis.kwargs["datas"]
    for source, _dest in datas:
        assert Path(source).is_file(), source
    pairs = {
        (Path(source).relative_to(ROOT).as_posix(), Path(dest).as_posix())
        for source, dest in datas
        if Path(source).is_relative_to(ROOT)
    }
    # The duplicate finder's nickname list, read from the nicknames package at run time.
    assert any(Path(source).name == "names.csv" and dest == "nicknames" for source, dest in datas)
    for migration in (ROOT / "crm" / "migrations" / "versions").glob("*.py"):
        assert (f"crm/migrations/versions/{migration.name}", "crm/migrations/versions") in pairs
    assert ("crm/migrations/env.py", "crm/migrations") in pairs
    assert ("ui/resources/kindred.svg", "ui/resources") in pairs
    assert ("ui/resources/icons/kindred-16.png", "ui/resources/icons") in pairs
    assert not any(source.endswith("__init__.py") and dest == "ui/resources" for source, dest in pairs)
    assert not any(source.endswith("make_icons.py") for source, _dest in pairs)
    assert {"ui.selftest", "crm.demo", "alembic.ddl.sqlite"} <= set(analysis.kwargs["hiddenimports"])

    assert exe.kwargs["name"] == "kindred"
    assert exe.kwargs["console"] is False
    assert exe.kwargs["upx"] is False
    assert exe.kwargs["icon"] is None  # Linux executables carry no icon
    assert spec["calls"]["COLLECT"].kwargs["name"] == crm.APP_NAME
    assert "BUNDLE" not in spec["calls"]
    assert f"Kindred {crm.__version__} bundle: " in capsys.readouterr().out


def test_every_page_the_main_window_loads_by_name_goes_into_the_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui.main_window import PAGES

    hidden = set(run_spec("linux", tmp_path, monkeypatch)["calls"]["Analysis"].kwargs["hiddenimports"])

    for _key, label, module_name, _class_name in PAGES:
        if (ROOT / (module_name.replace(".", "/") + ".py")).is_file():
            assert module_name in hidden, label
    assert {"ui.main_window", "crm.importing", "crm.exporting"} <= hidden


def test_webengine_qml_and_other_unused_modules_are_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = run_spec("linux", tmp_path, monkeypatch)
    excludes = set(spec["calls"]["Analysis"].kwargs["excludes"])

    for module in (
        "PySide6.QtWebEngineCore",
        "PySide6.QtWebEngineWidgets",
        "PySide6.QtQml",
        "PySide6.QtQuick",
        "PySide6.Qt3DCore",
        "PySide6.QtMultimedia",
        "PySide6.QtPdf",
        "numpy",
        "tkinter",
        "PIL",
        "phonenumbers.geodata",
    ):
        assert module in excludes
    # Nothing the application itself needs is excluded.
    for module in ("PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "PySide6.QtSvg", "crm", "ui"):
        assert module not in excludes


def test_qt_charts_is_kept_and_the_opengl_bindings_it_drags_in_are_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PyInstaller's hook for Qt Charts adds the QtOpenGL bindings (9 MB); Kindred never imports
    them (Qt Charts' own library links Qt's OpenGL libraries, which the analysis still collects)."""
    spec = run_spec("linux", tmp_path, monkeypatch)
    excludes = set(spec["calls"]["Analysis"].kwargs["excludes"])
    assert {"PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets"} <= excludes
    assert "PySide6.QtCharts" not in excludes
    assert "PySide6.QtCharts" in spec["calls"]["Analysis"].kwargs["hiddenimports"]
    importers = [
        str(path.relative_to(ROOT))
        for folder in ("crm", "ui")
        for path in (ROOT / folder).rglob("*.py")
        if re.search(r"PySide6\.QtOpenGL|from PySide6 import[^\n]*QtOpenGL", path.read_text(encoding="utf-8"))
    ]
    assert importers == []


def test_collected_files_are_trimmed_to_what_kindred_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    analysis = run_spec("linux", tmp_path, monkeypatch)["calls"]["Analysis"]

    kept = {dest for dest, _source, _kind in analysis.binaries}
    assert kept == {dest for dest, wanted in COLLECTED if wanted}
    assert {dest for dest, _source, _kind in analysis.datas} == kept


def test_unused_qt_plugins_are_refused_before_the_analysis_collects_what_they_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    qt_info = run_spec("linux", tmp_path, monkeypatch)["qt_info"]

    for plugin_type, plugins in QT_PLUGINS.items():
        offered = {Path(source).name for source, _dest in qt_info.collect_plugins(plugin_type)}
        assert offered == {name for name, wanted in plugins if wanted}, plugin_type


def test_macos_build_is_an_app_bundle_with_icns_icon_and_identifier(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = run_spec("darwin", tmp_path, monkeypatch)
    bundle = spec["calls"]["BUNDLE"].kwargs

    assert bundle["name"] == "Kindred.app"
    assert Path(bundle["icon"]) == ROOT / "ui" / "resources" / "kindred.icns"
    assert Path(bundle["icon"]).is_file()
    assert bundle["bundle_identifier"] == "org.kindred.Kindred"
    assert bundle["version"] == crm.__version__
    assert bundle["info_plist"]["CFBundleShortVersionString"] == crm.__version__
    assert spec["calls"]["EXE"].kwargs["name"] == "Kindred"
    assert spec["calls"]["EXE"].kwargs["strip"] is False  # stripping breaks code signatures


class VersionPart:
    """Stands in for one of PyInstaller's version-resource classes, which load only on Windows."""

    def __init__(self, kind: str, *args: Any, **kwargs: Any) -> None:
        self.kind, self.args, self.kwargs = kind, args, kwargs

    def __repr__(self) -> str:
        return f"{self.kind}{self.args}{self.kwargs or ''}"


def test_windows_build_is_kindred_exe_with_icon_version_and_no_console(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if sys.platform != "win32":
        versioninfo = ModuleType("PyInstaller.utils.win32.versioninfo")
        for kind in (
            "VSVersionInfo",
            "FixedFileInfo",
            "StringFileInfo",
            "StringTable",
            "StringStruct",
            "VarFileInfo",
            "VarStruct",
        ):
            setattr(versioninfo, kind, lambda *a, _kind=kind, **k: VersionPart(_kind, *a, **k))
        win32 = ModuleType("PyInstaller.utils.win32")
        win32.versioninfo = versioninfo  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "PyInstaller.utils.win32", win32)
        monkeypatch.setitem(sys.modules, "PyInstaller.utils.win32.versioninfo", versioninfo)
    exe = run_spec("win32", tmp_path, monkeypatch)["calls"]["EXE"].kwargs

    assert exe["name"] == "Kindred"
    assert exe["console"] is False
    assert Path(exe["icon"]) == ROOT / "ui" / "resources" / "kindred.ico"
    assert Path(exe["icon"]).is_file()
    details = repr(exe["version"])
    assert f"'ProductVersion', '{crm.__version__}'" in details
    assert "'OriginalFilename', 'Kindred.exe'" in details


@pytest.mark.parametrize("table", ["scripts", "gui-scripts"])
def test_pyproject_entry_points_name_importable_functions(table: str) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

    assert project[table], f"no [project.{table}]"
    for name, target in project[table].items():
        module_name, _, attribute = target.partition(":")
        function = getattr(importlib.import_module(module_name), attribute)
        assert callable(function), f"{name} = {target!r} is not a function"
    if table == "gui-scripts":
        assert project[table]["kindred"] == "ui.app:main"


def test_the_bundle_launcher_starts_the_same_main_as_the_kindred_command() -> None:
    tree = ast.parse((ROOT / "ui" / "__main__.py").read_text(encoding="utf-8"))

    imports = [
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    ]
    assert ("ui.app", "main") in imports


def test_a_wheel_ships_the_icons_and_resources(tmp_path: Path) -> None:
    """``pip install .`` (not editable) must carry what the window loads at run time."""
    import shutil
    import subprocess
    import zipfile

    # A copy of the source, so the build's own folders stay out of the checkout.
    source = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache")
    for name in ("crm", "ui"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(tmp_path.glob("kindred-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for size in (16, 32, 256):
        assert f"ui/resources/icons/kindred-{size}.png" in names
    assert {"ui/resources/kindred.svg", "ui/resources/__init__.py"} <= names
    assert "crm/migrations/versions/0001_initial_schema.py" in names
    assert not any(n.startswith("resources/") for n in names)


def _debian_package(soname: str) -> str:
    """libxcb-icccm.so.4 → libxcb-icccm4; libxkbcommon-x11.so.0 → libxkbcommon-x11-0."""
    name, _, version = soname.partition(".so.")
    name = name.lower()
    return f"{name}-{version}" if name[-1].isdigit() else f"{name}{version}"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux libraries")
def test_readme_lists_every_library_the_linux_window_needs() -> None:
    """The X11 libraries Qt's xcb plugin links against are missing on many desktops; the README's
    install line names every one of them."""
    import re
    import shutil
    import subprocess

    import PySide6

    if shutil.which("ldd") is None:
        pytest.skip("no ldd")
    qt = Path(PySide6.__file__).parent / "Qt"
    needed: set[str] = set()
    for library in (qt / "plugins" / "platforms" / "libqxcb.so", *qt.glob("lib/libQt6XcbQpa.so*")):
        out = subprocess.run(["ldd", str(library)], capture_output=True, text=True, check=True).stdout
        needed |= set(re.findall(r"^\s*((?:libxcb|libxkbcommon|libX11-xcb)[\w.-]*\.so\.\d+)", out, re.M))
    assert "libxcb-icccm.so.4" in needed  # the check itself works
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    install = next(line for line in readme.splitlines() if "apt-get install" in line and "kindred" in line)
    missing = sorted(p for p in map(_debian_package, needed) if p not in install.split())
    assert not missing, f"README's apt-get line lacks {missing}"
