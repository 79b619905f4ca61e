"""Opening databases for the window, and the recent-databases list.

Used by both the start-up code (``ui.app``) and the main window (File → Open, Recent databases),
so it lives in a module of its own that imports neither: no import cycle between them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from crm.db import Database

RECENT_LIMIT = 8


def open_or_report(
    target: str | None, parent: QWidget | None, *, create: bool | None = None
) -> Database | None:
    """Open a database; on failure say why in a message box and return None.

    Only File → New and starting Kindred (``create=True``) create one: a file chosen with Open or a
    recent entry that has gone is refused, not recreated empty.
    """
    from crm.db import open_database
    from crm.errors import DatabaseDamaged, DatabaseError, NewerSchemaError, UserError, user_error_for

    from ui import dialogs

    if create is None:
        create = target is None
    try:
        return open_database(target, create=create)
    except NewerSchemaError as exc:
        dialogs.show_error(parent, "Kindred — newer database", str(exc))
    except DatabaseDamaged as exc:
        dialogs.show_error(parent, "Kindred — damaged database", str(exc))
    except DatabaseError as exc:
        # In the window, the way to make a database is the File menu, not the command line.
        message = str(exc).replace(
            "create one with `kindred-cli init`", "use File → New database to make one"
        )
        dialogs.show_error(parent, "Kindred — cannot open the database", message)
    except UserError as exc:
        dialogs.show_error(parent, "Kindred — cannot open the database", str(exc))
    except OSError as exc:
        error = user_error_for(exc, str(target or "the database"))
        if error is None:
            raise
        dialogs.show_error(parent, "Kindred — cannot open the database", str(error))
    return None


def _strip_password(target: str) -> str:
    if "://" not in target:
        return target
    from sqlalchemy.engine import make_url

    try:
        return make_url(target).render_as_string(hide_password=True).replace(":***@", "@")
    except Exception:  # not a URL after all: remember it as typed
        return target


def recent_databases() -> list[str]:
    from ui.settings import settings

    value = settings().value("recent_databases", [])
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def remember_recent(target: str | None) -> None:
    """Most recent first; team database addresses are kept without their password."""
    from crm.db import resolve_url

    from ui.settings import settings

    if target is None:
        url = resolve_url(None)
        entry = url.database if url.drivername.startswith("sqlite") and url.database else ""
    else:
        entry = _strip_password(str(target))
    if not entry:
        return
    entries = [e for e in recent_databases() if e != entry]
    s = settings()
    s.setValue("recent_databases", [entry, *entries][:RECENT_LIMIT])
    s.sync()
