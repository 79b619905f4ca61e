"""Letters and labels from the team's own Word templates, for the people of a filter or view.

Who gets a letter is decided by the export engine with the post rules, exactly as the mail-merge
export decides it (:func:`crm.exporting.engine.iter_export_rows` with the post channel): the same
people are left out for the same reasons, and listed. Values reach the document only as text
(docx-mailmerge2 writes them into ``w:t`` elements, escaped), so nothing from the data becomes a
field code or macro.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import io
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crm import audit
from crm.correspondence import fields as fmod
from crm.correspondence.batches import NewInteraction, log_batch
from crm.correspondence.labels import fill_lines, labels_document, sheet, template_lines, write_bytes
from crm.correspondence.templates import Template, load_template
from crm.db import Database
from crm.errors import Cancelled, FileProblem, ValidationError
from crm.exporting.columns import COLUMNS
from crm.exporting.engine import ExcludedRow, ExportOptions, ExportRow, count_selected, iter_export_rows
from crm.filters import PersonFilter

Progress = Callable[[int, int], None]
ShouldCancel = Callable[[], bool]
PROGRESS_EVERY = 50
_ROW_REF = re.compile(r"\(row (\d+)\)")
_UNSAFE_FILE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


@dataclass(frozen=True)
class LeftOut:
    name: str
    reason: str
    person_id: int


@dataclass
class Letter:
    values: dict[str, str]  # template field name → text
    person_ids: list[int]
    addressee: str
    row: dict[str, Any] = field(default_factory=dict)  # export column → value (labels)


@dataclass
class Selection:
    letters: list[Letter]
    left_out: list[LeftOut]


@dataclass
class LettersResult:
    letters: int
    excluded: int
    left_out: list[LeftOut]
    batch_id: int | None
    path: Path
    files: list[Path]
    seconds: float
    people: int = 0

    def reasons(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for item in self.left_out:
            bucket = item.reason.split(" as ", 1)[0] if item.reason.startswith("Same ") else item.reason
            out[bucket] = out.get(bucket, 0) + 1
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "letters": self.letters,
            "excluded": self.excluded,
            "batch_id": self.batch_id,
            "people": self.people,
            "path": str(self.path),
            "files": len(self.files),
            "excluded_reasons": self.reasons(),
            "excluded_people": [
                {"name": x.name, "reason": x.reason, "id": x.person_id} for x in self.left_out
            ],
            "seconds": round(self.seconds, 3),
        }


def post_options(f: PersonFilter, joint: bool = False) -> tuple[PersonFilter, ExportOptions]:
    """The filter and the mail-merge export's post-channel options for it.

    As the export command does, a consent purpose moves from the filter to the options, so people
    without that consent are listed as left out rather than silently missing.
    """
    options = ExportOptions(
        purpose="post", consent_purpose=f.consent_purpose, dedupe=True, joint_salutation=joint
    )
    return dataclasses.replace(f, consent_purpose=None), options


def _reason(text: str) -> str:
    # The export numbers spreadsheet rows (row 1 is the header); here the letters are numbered.
    return _ROW_REF.sub(lambda m: f"(letter {int(m.group(1)) - 1})", text)


def select_letters(
    db: Database,
    f: PersonFilter,
    specs: dict[str, fmod.FieldSpec],
    *,
    joint: bool = False,
    extra_columns: Sequence[str] = (),
    progress: Progress | None = None,
    should_cancel: ShouldCancel | None = None,
) -> Selection:
    """Everyone the letters go to, with each template field's text, and who is left out and why."""
    f2, options = post_options(f, joint)
    cols = fmod.columns_needed(specs.values())
    for key in extra_columns:
        if key not in cols:
            cols.append(key)
    today = fmod.letter_date()
    letters: list[Letter] = []
    left_out: list[LeftOut] = []
    with db.session() as session:
        total = count_selected(session, f2, options) if progress else 0
        with contextlib.closing(iter_export_rows(session, f2, cols, options)) as items:
            for n, item in enumerate(items, start=1):
                if isinstance(item, ExcludedRow):
                    name, _email, _postcode, reason, pid = item.values
                    left_out.append(LeftOut(str(name), _reason(str(reason)), int(pid)))
                elif isinstance(item, ExportRow):
                    row = dict(zip(cols, item.values, strict=True))
                    values: dict[str, str] = {}
                    for name, spec in specs.items():
                        if spec.column:
                            values[name] = fmod.display(row[spec.column], COLUMNS[spec.column].kind)
                        elif spec.name == fmod.ADDRESS_BLOCK:
                            values[name] = fmod.address_block(row)
                        elif spec.name == fmod.LETTER_DATE:
                            values[name] = today
                    addressee = fmod.display(row["addressee"], COLUMNS["addressee"].kind)
                    letters.append(Letter(values, list(item.person_ids), addressee, row))
                if n % PROGRESS_EVERY == 0:
                    if should_cancel is not None and should_cancel():
                        raise Cancelled
                    if progress is not None:
                        progress(n, total * 2)
        role_fields = [n for n, s in specs.items() if s.name in (fmod.CONSTITUENCY, fmod.PARTY)]
        if role_fields and letters:
            roles = fmod.current_roles(session, [lt.person_ids[0] for lt in letters])
            for letter in letters:
                constituency, party = roles.get(letter.person_ids[0], ("", ""))
                for name in role_fields:
                    letter.values[name] = constituency if specs[name].name == fmod.CONSTITUENCY else party
    return Selection(letters, left_out)


def _nobody(left_out: Sequence[LeftOut]) -> ValidationError:
    if not left_out:
        return ValidationError("Nobody matches this list: there is no one to write to.", "filter")
    counts: dict[str, int] = {}
    for item in left_out:
        counts[item.reason] = counts.get(item.reason, 0) + 1
    top = "; ".join(f"{reason}: {n}" for reason, n in sorted(counts.items(), key=lambda kv: -kv[1])[:3])
    return ValidationError(
        f"Nobody on this list can be sent a letter; all {len(left_out)} are left out ({top}).", "filter"
    )


def _file_name(index: int, addressee: str) -> str:
    cleaned = _UNSAFE_FILE.sub(" ", addressee).strip(" .") or "Letter"
    return f"{index:04d} {cleaned[:80]}.docx"


def _merge_one_document(template: Template, letters: Sequence[Letter]) -> bytes:
    from mailmerge import MailMerge

    out = io.BytesIO()
    with MailMerge(io.BytesIO(template.data)) as merge:
        # A section break between letters gives each its own header and footer, fields filled.
        merge.merge_templates([lt.values for lt in letters], "nextPage_section")
        merge.write(out)
    return out.getvalue()


def _merge_single(template: Template, letter: Letter) -> bytes:
    from mailmerge import MailMerge

    out = io.BytesIO()
    with MailMerge(io.BytesIO(template.data)) as merge:
        merge.merge(**letter.values)
        merge.write(out)
    return out.getvalue()


def make_letters(
    db: Database,
    template_path: str | Path,
    out: str | Path,
    f: PersonFilter,
    *,
    one_file_each: bool = False,
    joint: bool = False,
    log: bool = True,
    owner: str | None = None,
    progress: Progress | None = None,
    should_cancel: ShouldCancel | None = None,
) -> LettersResult:
    """Fill a Word template for everyone on a list and (by default) log each letter.

    Args:
        db: the open database; people are read in one session, letters logged in one transaction.
        template_path: a .docx with merge fields named after export columns (see crm.correspondence.fields).
        out: the .docx to write (a page per person), or with ``one_file_each`` a folder.
        f: which people; the post rules of the mail-merge export decide who is left out.
        joint: people at one home address share one letter ("Dear Ann and Bob").
        log: log each letter as an interaction "Letter: <template name>" on its people.

    Raises:
        TemplateProblem, UnknownFields: the template cannot be used (the message says why).
        ValidationError: nobody on the list can be sent a letter.
        FileProblem: the output cannot be written.
        Cancelled: the user cancelled; nothing is written or logged.
    """
    started = time.perf_counter()
    template = load_template(template_path)
    target = Path(out).expanduser()
    selection = select_letters(
        db, f, template.fields, joint=joint, progress=progress, should_cancel=should_cancel
    )
    letters = selection.letters
    if not letters:
        raise _nobody(selection.left_out)
    files: list[Path] = []
    total = len(letters)
    if one_file_each:
        if target.exists() and not target.is_dir():
            raise FileProblem(f"{target} is a file; choose a folder for one letter per person.")
        try:
            for i, letter in enumerate(letters, start=1):
                if i % PROGRESS_EVERY == 0:
                    if should_cancel is not None and should_cancel():
                        raise Cancelled
                    if progress is not None:
                        progress(total + i, total * 2)
                path = target / _file_name(i, letter.addressee)
                write_bytes(path, _merge_single(template, letter))
                files.append(path)
        except BaseException:
            for path in files:
                path.unlink(missing_ok=True)
            raise
    else:
        if target.suffix.lower() != ".docx":
            target = target.with_suffix(".docx")
        write_bytes(target, _merge_one_document(template, letters))
        files.append(target)
    batch_id: int | None = None
    people = sum(len(lt.person_ids) for lt in letters)
    if log:
        try:
            batch_id = _log_letters(db, template, target, letters, owner)
        except BaseException:
            for path in files:
                path.unlink(missing_ok=True)
            raise
    else:
        with db.transaction() as session:
            audit.record(
                session,
                "export",
                "person",
                None,
                new=target.name,
                details=f"{len(letters)} letters from {template.path.name} (not logged)",
            )
    if progress is not None:
        progress(total * 2, total * 2)
    return LettersResult(
        letters=len(letters),
        excluded=len(selection.left_out),
        left_out=selection.left_out,
        batch_id=batch_id,
        path=target,
        files=files,
        seconds=time.perf_counter() - started,
        people=people,
    )


def _log_letters(
    db: Database, template: Template, target: Path, letters: Sequence[Letter], owner: str | None
) -> int:
    today = dt.date.today()
    subject = f"Letter: {template.name}"
    who = owner or audit.current_user()
    items = [
        NewInteraction(
            subject=subject,
            date=today,
            kind="letter",
            person_ids=letter.person_ids,
            notes=f"Made from {template.path.name} into {target.name}.",
            owner=who,
            direction="out",
        )
        for letter in letters
    ]
    with db.transaction() as session:
        result = log_batch(session, "letters", template.path.name, items)
    return result.batch_id


def make_labels(
    db: Database,
    out: str | Path,
    f: PersonFilter,
    *,
    sheet_code: str = "L7160",
    template_path: str | Path | None = None,
    joint: bool = False,
    progress: Progress | None = None,
    should_cancel: ShouldCancel | None = None,
) -> LettersResult:
    """Address labels for the same people a letter would go to, on an A4 label sheet.

    Without a template each label is the address block; with one, its paragraphs (merge fields
    filled, lines with only empty fields left out) are the label. Labels are not logged: the
    letters they go on are.
    """
    started = time.perf_counter()
    layout = sheet(sheet_code)
    target = Path(out).expanduser()
    if target.suffix.lower() != ".docx":
        target = target.with_suffix(".docx")
    if template_path is not None:
        template = load_template(template_path)
        specs = template.fields
        names = list(specs)
        lines = template_lines(template.data, names)
    else:
        specs = {fmod.ADDRESS_BLOCK: fmod.FieldSpec(fmod.ADDRESS_BLOCK, None, "")}
        names = [fmod.ADDRESS_BLOCK]
        lines = ["\ue0000\ue001"]
    selection = select_letters(db, f, specs, joint=joint, progress=progress, should_cancel=should_cancel)
    if not selection.letters:
        raise _nobody(selection.left_out)
    labels = [fill_lines(lines, [lt.values.get(n, "") for n in names]) for lt in selection.letters]
    title = f"Address labels ({layout.code}), {dt.date.today():%d %B %Y}"
    write_bytes(target, labels_document(labels, layout, title))
    with db.transaction() as session:
        audit.record(
            session,
            "export",
            "person",
            None,
            new=target.name,
            details=f"{len(labels)} address labels ({layout.code}); {len(selection.left_out)} left out",
        )
    return LettersResult(
        letters=len(labels),
        excluded=len(selection.left_out),
        left_out=selection.left_out,
        batch_id=None,
        path=target,
        files=[target],
        seconds=time.perf_counter() - started,
        people=sum(len(lt.person_ids) for lt in selection.letters),
    )
