"""Consent from a column of the file: "Happy to be contacted about the Kindness Champions network?".

The wizard (or a caller of the engine) names the column, the purpose it gives consent for, and
optionally a timestamp column (a sign-up form's "Timestamp"). For every person the import wrote:

- "yes" records consent for the purpose, with the column's heading as the wording the person saw,
  the timestamp's date (else the import's date) as when, and the file as how;
- "no" records a refusal (a consent record that grants nothing) and withdraws any consent they had
  for that purpose: a "no" on a newer form is a withdrawal;
- blank records nothing; anything else is reported and records nothing.

A do-not-contact person (an objection, or an erased person's address) gets no consent from a file:
lifting an objection is a deliberate act on the person. Undoing the import removes what it recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from crm import audit
from crm.errors import ValidationError
from crm.importing import cleaning
from crm.models import Consent
from crm.util import chunked

if TYPE_CHECKING:
    from crm.importing.engine import ImportOptions, ImportPlan
    from crm.importing.reader import Table

WORDING_MAX = 2_000

# A consent question's answers (not an opt-out column's: "subscribed" means yes here).
_YES = cleaning.PLAIN_YES | {
    "agreed",
    "i agree",
    "agree",
    "subscribed",
    "opted in",
    "opt in",
    "yes please",
    "happy to be contacted",
}
_NO = cleaning.PLAIN_NO | {
    "no thanks",
    "no thank you",
    "unsubscribed",
    "opted out",
    "opt out",
    "do not contact",
    "declined",
    "refused",
}


def consent_answer(value: Any) -> bool | None:
    """True for yes, False for no, None for blank. Raises ValidationError for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value)
    raw = cleaning.text(value)
    if raw is None:
        return None
    key = " ".join(raw.lower().strip(" .!").split())
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise ValidationError(f"{raw!r} is not yes or no")


@dataclass
class ConsentAnswers:
    """What a consent column says, row by row (sheet row number → answer)."""

    heading: str
    yes: dict[int, dt.date | None] = field(default_factory=dict)
    no: dict[int, dt.date | None] = field(default_factory=dict)
    blank: int = 0
    unclear: list[tuple[int, str]] = field(default_factory=list)  # (row, value)
    date_warnings: list[tuple[int, str]] = field(default_factory=list)

    def summary(self) -> str:
        """ "Consent column 'Happy to…': 12 yes, 3 no, 5 blank; 1 not yes or no (row 7)"."""
        text = f"Consent column {self.heading!r}: {len(self.yes)} yes, {len(self.no)} no, {self.blank} blank"
        if self.unclear:
            rows = ", ".join(str(r) for r, _ in self.unclear[:5])
            more = "…" if len(self.unclear) > 5 else ""
            text += f"; {len(self.unclear)} neither yes nor no, recorded as nothing (row {rows}{more})"
        return text


@dataclass(frozen=True)
class ConsentImportResult:
    granted: int
    refused: int
    withdrawn: int
    skipped_do_not_contact: int

    def as_dict(self) -> dict[str, int]:
        return {
            "granted": self.granted,
            "refused": self.refused,
            "withdrawn": self.withdrawn,
            "skipped_do_not_contact": self.skipped_do_not_contact,
        }


def check_options(table: Table, options: ImportOptions) -> None:
    """A consent column needs a purpose, and both columns must be in the file."""
    col = options.consent_column
    if col is None:
        return
    width = len(table.headers)
    if not 0 <= col < width:
        raise ValidationError(f"{table.file_name}: the consent column is not in the file; choose it again.")
    if not (options.consent_column_purpose or "").strip():
        raise ValidationError(
            f"Choose what the column {table.headers[col]!r} gives consent for (e.g. newsletter).", "purpose"
        )
    date_col = options.consent_date_column
    if date_col is not None and not 0 <= date_col < width:
        raise ValidationError(
            f"{table.file_name}: the consent date column is not in the file; choose it again."
        )


def read_answers(table: Table, options: ImportOptions) -> ConsentAnswers | None:
    """The consent column's answers (None when no column was chosen)."""
    col = options.consent_column
    if col is None:
        return None
    check_options(table, options)
    headers = table.headers
    answers = ConsentAnswers(heading=headers[col])
    date_col = options.consent_date_column
    order = options.date_order
    if date_col is not None and order is None:
        order = cleaning.date_order_hint(
            [
                cells[date_col]
                for _, cells in table.data_rows
                if date_col < len(cells) and cells[date_col] not in (None, "")
            ]
        )
    for number, cells in table.data_rows:
        raw = cells[col] if col < len(cells) else None
        try:
            value = consent_answer(raw)
        except ValidationError:
            answers.unclear.append((number, str(raw)))
            continue
        if value is None:
            answers.blank += 1
            continue
        when: dt.date | None = None
        if date_col is not None and date_col < len(cells):
            try:
                when, warning = cleaning.parse_date(cells[date_col], order)
            except ValidationError as exc:
                answers.date_warnings.append((number, str(exc)))
                when = None
            else:
                if warning:
                    answers.date_warnings.append((number, warning))
        (answers.yes if value else answers.no)[number] = when
    return answers


def record_column_consents(
    session: Session, table: Table, plan: ImportPlan, batch_id: int
) -> ConsentImportResult | None:
    """Record the consent column's answers for everyone the import wrote (see the module)."""
    options = plan.options
    answers = read_answers(table, options)
    if answers is None:
        return None
    purpose = (options.consent_column_purpose or "").strip().lower()
    wording = " ".join(answers.heading.split())[:WORDING_MAX] or None
    source = f"Import of {plan.file_name}"[:300]
    today = dt.date.today()
    grants: list[tuple[int, dt.date]] = []
    refusals: list[tuple[int, dt.date]] = []
    skipped = 0
    seen: set[int] = set()
    for r in plan.rows:
        pid = r.person_id
        if pid is None or r.action == "reject" or pid in seen:
            continue
        if r.row in answers.yes:
            if r.values.get("do_not_contact"):
                skipped += 1
                continue
            seen.add(pid)
            grants.append((pid, answers.yes[r.row] or today))
        elif r.row in answers.no:
            seen.add(pid)
            refusals.append((pid, answers.no[r.row] or today))
    granted = _grant(session, grants, purpose, wording, source, batch_id)
    withdrawn = _withdraw(session, refusals, purpose, batch_id)
    refused = _insert(session, refusals, purpose, wording, source, batch_id, granted=False)
    return ConsentImportResult(granted, refused, withdrawn, skipped)


def _current(session: Session, person_ids: Sequence[int], purpose: str) -> dict[int, list[int]]:
    """Current (granted, not withdrawn) consents for the purpose: person → consent ids."""
    out: dict[int, list[int]] = {}
    for part in chunked(list(person_ids)):
        for cid, pid in session.execute(
            select(Consent.id, Consent.person_id).where(
                Consent.person_id.in_(part),
                Consent.purpose == purpose,
                Consent.granted.is_(True),
                Consent.withdrawn_on.is_(None),
            )
        ):
            out.setdefault(pid, []).append(cid)
    return out


def _grant(
    session: Session,
    grants: list[tuple[int, dt.date]],
    purpose: str,
    wording: str | None,
    source: str,
    batch_id: int,
) -> int:
    have = _current(session, [pid for pid, _ in grants], purpose)
    new = [(pid, when) for pid, when in grants if pid not in have]
    return _insert(session, new, purpose, wording, source, batch_id, granted=True)


def _withdraw(session: Session, refusals: list[tuple[int, dt.date]], purpose: str, batch_id: int) -> int:
    have = _current(session, [pid for pid, _ in refusals], purpose)
    entries: list[dict[str, Any]] = []
    for pid, when in refusals:
        for cid in have.get(pid, []):
            session.execute(update(Consent).where(Consent.id == cid).values(withdrawn_on=when))
            entries.append(
                {
                    "action": "update",
                    "entity": "consent",
                    "entity_id": cid,
                    "field": "withdrawn_on",
                    "new": when,
                    "details": f"person {pid}",
                }
            )
    audit.record_many(session, entries, batch_id=batch_id)
    return len(entries)


def _insert(
    session: Session,
    items: list[tuple[int, dt.date]],
    purpose: str,
    wording: str | None,
    source: str,
    batch_id: int,
    *,
    granted: bool,
) -> int:
    if not items:
        return 0
    ids = list(
        session.scalars(
            insert(Consent).returning(Consent.id, sort_by_parameter_order=True),
            [
                {
                    "person_id": pid,
                    "purpose": purpose,
                    "basis": "consent",
                    "granted": granted,
                    "recorded_on": when,
                    "source": source,
                    "wording": wording,
                    "import_batch_id": batch_id,
                }
                for pid, when in items
            ],
        )
    )
    label = f"{purpose} (consent)" if granted else f"{purpose} (refused)"
    audit.record_many(
        session,
        (
            {
                "action": "create",
                "entity": "consent",
                "entity_id": cid,
                "field": "purpose",
                "new": label,
                "details": f"person {pid}",
            }
            for cid, (pid, _) in zip(ids, items, strict=True)
        ),
        batch_id=batch_id,
    )
    return len(ids)


def undo_withdrawals(session: Session, batch_id: int) -> int:
    """Undoing an import gives back the consents its "no" answers withdrew (recorded in the audit
    log with the batch). Returns how many came back."""
    from crm.models import AuditEntry

    ids = [
        cid
        for cid in session.scalars(
            select(AuditEntry.entity_id).where(
                AuditEntry.import_batch_id == batch_id,
                AuditEntry.entity == "consent",
                AuditEntry.action == "update",
                AuditEntry.field == "withdrawn_on",
            )
        )
        if cid is not None
    ]
    for part in chunked(ids):
        session.execute(update(Consent).where(Consent.id.in_(part)).values(withdrawn_on=None))
    if ids:
        audit.record_many(
            session,
            (
                {
                    "action": "undo",
                    "entity": "consent",
                    "entity_id": cid,
                    "field": "withdrawn_on",
                    "new": None,
                }
                for cid in ids
            ),
            batch_id=batch_id,
        )
    return len(ids)
