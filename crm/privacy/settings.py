"""Settings kept in the database, so everyone sharing it uses the same values.

Each change is written to the audit log (who changed the retention period, and when).
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm import audit
from crm.errors import ValidationError
from crm.models import Setting, utcnow

RETENTION_MONTHS = "retention_months"
SUPPRESSION_KEY = "suppression_hash_key"
DEFAULT_RETENTION_MONTHS = 24
MAX_RETENTION_MONTHS = 600

# Values that must never be shown or logged (the suppression list's key).
_SECRET_KEYS = frozenset({SUPPRESSION_KEY})


def get_setting(session: Session, key: str, default: str | None = None) -> str | None:
    """The stored value of ``key``, else ``default``."""
    value = session.scalar(select(Setting.value).where(Setting.key == key))
    return default if value is None else value


def set_setting(session: Session, key: str, value: str | None) -> None:
    """Store ``value`` under ``key`` (recorded in the audit log, secrets without their value)."""
    row = session.get(Setting, key)
    old = row.value if row is not None else None
    if row is None:
        session.add(Setting(key=key, value=value, updated_at=utcnow()))
    elif row.value == value:
        return
    else:
        row.value = value
        row.updated_at = utcnow()
    session.flush()
    secret = key in _SECRET_KEYS
    audit.record(
        session,
        "update",
        "setting",
        None,
        key,
        None if secret else old,
        None if secret else value,
    )


def retention_months(session: Session) -> int:
    """How long someone may go without activity before they are due for review (months)."""
    raw = get_setting(session, RETENTION_MONTHS)
    try:
        months = int(raw) if raw is not None else DEFAULT_RETENTION_MONTHS
    except ValueError:
        return DEFAULT_RETENTION_MONTHS
    return months if 1 <= months <= MAX_RETENTION_MONTHS else DEFAULT_RETENTION_MONTHS


def set_retention_months(session: Session, months: int) -> None:
    """Change the retention period. Raises ValidationError for a period outside 1–600 months."""
    check_months(months)
    set_setting(session, RETENTION_MONTHS, str(months))


def check_months(months: int) -> None:
    if not 1 <= months <= MAX_RETENTION_MONTHS:
        raise ValidationError(
            f"A retention period of {months} months is not possible: choose 1 to {MAX_RETENTION_MONTHS} months.",
            "months",
        )


def existing_suppression_key(session: Session) -> bytes | None:
    """The key if one has been made (reading never makes one)."""
    raw = get_setting(session, SUPPRESSION_KEY)
    return bytes.fromhex(raw) if raw else None


def suppression_key(session: Session) -> bytes:
    """This database's secret key for hashing suppressed addresses, made on first use.

    Kept in the database (not on one computer) so every user of a shared database matches the same
    hashes; a copy of the key in the same file is what lets a re-import still be recognised.
    """
    raw = get_setting(session, SUPPRESSION_KEY)
    if raw is None:
        raw = secrets.token_hex(32)
        set_setting(session, SUPPRESSION_KEY, raw)
    return bytes.fromhex(raw)
