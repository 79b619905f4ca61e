"""Saved views: named filters stored in the database, shown in the sidebar, usable by exports."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm import audit
from crm.errors import NotFoundError, ValidationError
from crm.filter_names import UnknownNameError, check_names
from crm.filters import PersonFilter
from crm.models import SavedView, utcnow
from crm.text import clean_text


def save_view(session: Session, name: str, f: PersonFilter, *, replace: bool = False) -> SavedView:
    cleaned = clean_text(name)
    if not cleaned:
        raise ValidationError("A saved view needs a name.", "name")
    data = f.to_dict()
    data.pop("ids", None)  # a view is a rule, not a fixed selection
    existing = session.scalars(select(SavedView).where(func.lower(SavedView.name) == cleaned.lower())).first()
    if existing is not None:
        if not replace:
            raise ValidationError(f"There is already a view called {cleaned!r}.", "name")
        audit.record(session, "update", "saved_view", existing.id, "filter", existing.filter_json, data)
        existing.filter_json = data
        existing.updated_at = utcnow()
        session.flush()
        return existing
    view = SavedView(name=cleaned, filter_json=data)
    session.add(view)
    session.flush()
    audit.record(session, "create", "saved_view", view.id, new=cleaned, details=str(data))
    return view


def list_views(session: Session) -> list[SavedView]:
    return list(session.scalars(select(SavedView).order_by(SavedView.name)))


def get_view(session: Session, name: str) -> SavedView:
    view = session.scalars(
        select(SavedView).where(func.lower(SavedView.name) == name.strip().lower())
    ).first()
    if view is None:
        raise NotFoundError(f"There is no saved view called {name!r}.")
    return view


def view_filter(session: Session, name: str) -> PersonFilter:
    """The view's filter, its names checked: a view naming an event, tag or network that has since
    been renamed or removed says so (:class:`~crm.filter_names.UnknownNameError`) rather than
    silently selecting nobody."""
    view = get_view(session, name)
    f = PersonFilter.from_dict(view.filter_json)
    try:
        check_names(session, f)
    except UnknownNameError as exc:
        raise UnknownNameError(
            f"The saved view “{view.name}” names something Kindred no longer holds. {exc}",
            exc.kind,
            exc.name,
            exc.suggestions,
        ) from None
    return f


def delete_view(session: Session, view_id: int) -> None:
    """Views hold no personal data; deleting one removes only the rule (recorded in the audit log)."""
    view = session.get(SavedView, view_id)
    if view is None:
        raise NotFoundError(f"There is no saved view {view_id}.")
    audit.record(session, "delete", "saved_view", view_id, old=view.name, details=str(view.filter_json))
    session.delete(view)
    session.flush()
