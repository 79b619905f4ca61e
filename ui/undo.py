"""Undo for edits and deletions made in the main window.

Each command calls the services again with the old values (an edit) or restores from the Trash (a
deletion), through the TaskRunner's writer, so an undo is itself an ordinary, audited change. The
change has already been made when a command is pushed, so the first ``redo`` (which
``QUndoStack.push`` calls) does nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from PySide6.QtGui import QUndoCommand

from crm.models import PERSON_FIELDS
from crm.services import organisations, people, tags

from ui.tasks import TaskContext, TaskRunner

Snapshot = dict[str, Any]
Changed = Callable[[list[int]], None]


def person_snapshot(session: Session, person_id: int) -> Snapshot:
    """What the detail panel edits: every plain field, the organisation, types and tags."""
    person = people.get_person(session, person_id)
    snap: Snapshot = {f: getattr(person, f) for f in PERSON_FIELDS}
    snap["organisation_id"] = person.organisation_id
    snap["types"] = sorted(t.type for t in person.types)
    snap["tags"] = tags.tags_of(session, person_id)
    return snap


def apply_snapshot(session: Session, person_id: int, snap: Snapshot) -> Snapshot:
    """Make the person match ``snap``. ``organisation_name`` (instead of an id) finds or creates it.

    Returns the snapshot as stored (with the organisation's id filled in).
    """
    values = {k: v for k, v in snap.items() if k in PERSON_FIELDS}
    result = dict(snap)
    if "organisation_name" in snap:
        name = (snap.get("organisation_name") or "").strip()
        org_id = organisations.get_or_create_organisation(session, name)[0].id if name else None
        result.pop("organisation_name")
        result["organisation_id"] = org_id
    if "organisation_id" in result:
        values["organisation_id"] = result["organisation_id"]
    people.update_person(session, person_id, values)
    if "types" in snap:
        people.set_types(session, person_id, snap["types"])
    if "tags" in snap:
        wanted = {t.strip() for t in snap["tags"] if t.strip()}
        have = set(tags.tags_of(session, person_id))
        have_lower = {t.lower() for t in have}
        for name in sorted(wanted):
            if name.lower() not in have_lower:
                tags.tag_people(session, [person_id], name)
        wanted_lower = {t.lower() for t in wanted}
        for name in sorted(have):
            if name.lower() not in wanted_lower:
                tags.untag_people(session, [person_id], name)
    return result


class ServiceCommand(QUndoCommand):
    """An undoable change made through the services; every undo command in the app is one.

    The change has already been made when the command is pushed, so the first ``redo`` (which
    ``QUndoStack.push`` calls) does nothing. Later, ``do`` (redo) and ``reverse`` (undo) each run as
    one transaction on the TaskRunner's writer thread, so an undo is itself an ordinary, audited
    change; ``changed`` then gets what the function returned, on the GUI thread.
    """

    def __init__(
        self,
        runner: TaskRunner,
        text: str,
        do: Callable[[Session], Any],
        reverse: Callable[[Session], Any],
        changed: Callable[[Any], None],
    ) -> None:
        super().__init__(text)
        self.runner = runner
        self._do = do
        self._reverse = reverse
        self._changed = changed
        self._pushed = False

    def _run(self, fn: Callable[[Session], Any]) -> None:
        def work(ctx: TaskContext) -> Any:
            with ctx.db.transaction() as session:
                return fn(session)

        self.runner.run(work, on_done=self._changed, write=True)

    def redo(self) -> None:
        if not self._pushed:
            self._pushed = True  # the change itself was made before the push
            return
        self._run(self._do)

    def undo(self) -> None:
        self._run(self._reverse)


class EditPersonCommand(ServiceCommand):
    def __init__(
        self,
        runner: TaskRunner,
        person_id: int,
        name: str,
        before: Snapshot,
        after: Snapshot,
        changed: Changed,
    ) -> None:
        def put(snap: Snapshot) -> Callable[[Session], list[int]]:
            def apply(session: Session) -> list[int]:
                apply_snapshot(session, person_id, snap)
                return [person_id]

            return apply

        super().__init__(runner, f"Edit {name}", put(after), put(before), changed)


class CreatePersonCommand(ServiceCommand):
    """Undoing a creation moves the new person to the Trash (nothing is hard-deleted)."""

    def __init__(self, runner: TaskRunner, person_id: int, name: str, changed: Changed) -> None:
        super().__init__(
            runner,
            f"Add {name}",
            lambda session: _moved(people.restore_people, session, [person_id]),
            lambda session: _moved(people.trash_people, session, [person_id]),
            changed,
        )


class TrashPeopleCommand(ServiceCommand):
    def __init__(self, runner: TaskRunner, person_ids: Sequence[int], changed: Changed) -> None:
        ids = list(person_ids)
        n = len(ids)
        super().__init__(
            runner,
            f"Move {n:,} {'person' if n == 1 else 'people'} to the Trash",
            lambda session: _moved(people.trash_people, session, ids),
            lambda session: _moved(people.restore_people, session, ids),
            changed,
        )


def _moved(move: Callable[[Session, list[int]], int], session: Session, ids: list[int]) -> list[int]:
    """Trash or restore people; the command reports the ids it touched so the list can refresh them."""
    move(session, ids)
    return ids


class EditInteractionCommand(ServiceCommand):
    """Undo puts the interaction back as it was (fields, topics, people, organisations)."""

    def __init__(
        self,
        runner: TaskRunner,
        interaction_id: int,
        before: Snapshot,
        after: Snapshot,
        changed: Changed,
    ) -> None:
        from crm.services import interactions

        def put(snap: Snapshot) -> Callable[[Session], list[int]]:
            def apply(session: Session) -> list[int]:
                interactions.update_interaction(session, interaction_id, dict(snap))
                return sorted(set(before.get("person_ids", ())) | set(after.get("person_ids", ())))

            return apply

        super().__init__(
            runner,
            f"Edit “{after.get('subject') or before.get('subject')}”",
            put(after),
            put(before),
            changed,
        )


class EditRoleCommand(ServiceCommand):
    """Undo puts the elected role back as it was."""

    def __init__(
        self,
        runner: TaskRunner,
        role_id: int,
        person_id: int,
        before: Snapshot,
        after: Snapshot,
        changed: Changed,
    ) -> None:
        from crm.services import roles

        def put(snap: Snapshot) -> Callable[[Session], list[int]]:
            def apply(session: Session) -> list[int]:
                roles.update_role(session, role_id, dict(snap))
                return [person_id]

            return apply

        super().__init__(
            runner,
            f"Edit role in the {after.get('chamber') or before.get('chamber')}",
            put(after),
            put(before),
            changed,
        )
