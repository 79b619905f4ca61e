"""One application-level "data changed" signal, carrying what changed.

Every screen that writes announces it here once the write is done; the main window (and any
screen that cares) listens here, instead of the window looking up each page's own signals by name.
Anki's ``OpChanges`` and ``operation_did_execute`` are the model.

    changes = changes_for(widget)          # the hub of the window the widget belongs to
    changes.announce(Change(people=True))  # after a write
    changes.data_changed.connect(...)      # to hear about everyone's
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal, SignalInstance
from PySide6.QtWidgets import QWidget

from ui.tasks import emit


@dataclass(frozen=True)
class Change:
    """What a write changed, so each screen can tell whether what it shows is stale."""

    people: bool = False
    organisations: bool = False
    networks: bool = False
    interactions: bool = False
    events: bool = False


class ChangeHub(QObject):
    """Owned by the main window. Signals: data_changed(Change)."""

    data_changed = Signal(object)

    def announce(self, change: Change) -> None:
        emit(self.data_changed, change)


def changes_for(widget: QWidget | None) -> ChangeHub | None:
    """The hub of the main window ``widget`` belongs to (or was made for), if there is one."""
    while widget is not None:
        hub = widget.findChild(ChangeHub, options=Qt.FindChildOption.FindDirectChildrenOnly)
        if isinstance(hub, ChangeHub):
            return hub
        widget = widget.parentWidget()
    return None


def announce_on(signal: SignalInstance, widget: QWidget | None, change: Change) -> None:
    """Announce ``change`` on the window's hub whenever ``signal`` fires (a page's own "I wrote")."""
    hub = changes_for(widget)
    if hub is not None:
        signal.connect(lambda *_args: hub.announce(change))
