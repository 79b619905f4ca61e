"""Where Kindred keeps the user's settings: one INI file per user (window layout, recent databases,
preferences). Tests point QSettings at a folder of their own."""

from __future__ import annotations

from PySide6.QtCore import QSettings

SETTINGS_ORG = "Kindred"
SETTINGS_APP = "Kindred"


def settings() -> QSettings:
    """The user's Kindred settings."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, SETTINGS_ORG, SETTINGS_APP)
