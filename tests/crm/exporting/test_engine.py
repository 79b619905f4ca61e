"""The export engine: the right people, the right columns, and who was left out and why."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from crm.db import Database
from crm.errors import Cancelled, FileProblem, NotFoundError, ValidationError
from crm.exporting import ExportOptions, export_people, preview_rows
from crm.exporting.columns import COLUMNS, MAIL_MERGE
from crm.filters import PersonFilter
from crm.models import AuditEntry, Interaction, InteractionPerson, Person
from crm.services import events, people

from .conftest import Cast, excluded_reasons, read_sheet

MAIL_MERGE_HEADERS = [COLUMNS[k].label for k in MAIL_MERGE]


def by_email(rows: list[dict[str, object]]) -> dict[object, dict[str, object]]:
    return {r["Email"]: r for r in rows}


def test_mail_merge_columns_and_salutations(db: Database, cast: Cast, tmp_path: Path) -> None:
    out = tmp_path / "merge.xlsx"
    result = export_people(db, PersonFilter(), out)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["People", "Excluded"]
    header = [c.value for c in wb["People"][1]]
    assert header == MAIL_MERGE_HEADERS
    claudia = by_email(read_sheet(out))["claudia.beamish@parliament.scot.example"]
    assert claudia["Informal salutation"] == "Dear Claudia"
    assert claudia["Formal salutation"] == "Dear Ms Beamish"
    assert claudia["Addressee"] == "Ms Claudia Beamish MSP"
    assert claudia["Full name"] == "Claudia Beamish"
    assert claudia["Postcode"] == "EH99 1SP"
    assert result.exported == len(read_sheet(out))
    assert result.path == out


def test_without_channel_only_objections_and_trash_exclude(db: Database, cast: Cast, tmp_path: Path) -> None:
    out = tmp_path / "all.xlsx"
    # The mail merge applies post rules unless they are deliberately ignored, with a reason.
    export_people(db, PersonFilter(), out, ignore_channel_rules="Invitation list for a reception")
    reasons = excluded_reasons(out)
    assert reasons["Dora Noble"] == "Do not contact"
    assert reasons["Tess Trask"] == "In the Trash"
    assert reasons["Sam Back"].startswith("On the suppression list")
    exported = {r["Full name"] for r in read_sheet(out)}
    # No channel chosen: opt-outs of one channel and missing details do not exclude.
    assert {"Eric Owen", "Pia Olsen", "Nell Evans", "Ned Adams"} <= exported


def test_email_merge_exclusions_and_reasons(db: Database, cast: Cast, tmp_path: Path) -> None:
    out = tmp_path / "email.xlsx"
    result = export_people(db, PersonFilter(), out, purpose="email")
    reasons = excluded_reasons(out)
    assert reasons["Eric Owen"] == "Opted out of email"
    assert reasons["Nell Evans"] == "No email address"
    assert reasons["Dora Noble"] == "Do not contact"
    assert reasons["Tess Trask"] == "In the Trash"
    exported = {r["Full name"] for r in read_sheet(out)}
    assert "Pia Olsen" in exported  # opted out of post, not of email
    assert "Ned Adams" in exported  # no address does not matter for email
    assert result.excluded == len(reasons)
    assert result.reasons["Opted out of email"] == 1


def test_postal_merge_exclusions_and_reasons(db: Database, cast: Cast, tmp_path: Path) -> None:
    out = tmp_path / "letters.xlsx"
    export_people(db, PersonFilter(), out, purpose="post")
    reasons = excluded_reasons(out)
    assert reasons["Pia Olsen"] == "Opted out of post"
    assert reasons["Ned Adams"] == "No usable postal address"
    exported = {r["Full name"] for r in read_sheet(out)}
    assert {"Eric Owen", "Nell Evans"} <= exported
    # Letters come out in postcode order, ready for posting.
    postcodes = [r["Postcode"] for r in read_sheet(out)]
    assert postcodes == sorted(postcodes, key=lambda p: str(p).replace(" ", ""))


def test_consent_purpose_leaves_out_people_without_a_basis(db: Database, cast: Cast, tmp_path: Path) -> None:
    out = tmp_path / "newsletter.xlsx"
    result = export_people(db, PersonFilter(), out, purpose="email", consent_purpose="Newsletter")
    assert [r["Full name"] for r in read_sheet(out)] == ["Claudia Beamish"]
    reasons = excluded_reasons(out)
    assert reasons["James Smith"] == "No consent or lawful basis for 'newsletter'"
    assert reasons["Dora Noble"] == "Do not contact"  # the stronger reason is the one shown
    assert result.exported == 1


def test_one_row_per_email_address(db: Database, cast: Cast, tmp_path: Path) -> None:
    out = tmp_path / "dedupe.xlsx"
    export_people(db, PersonFilter(), out, purpose="email")
    rows = read_sheet(out)
    office = [r for r in rows if str(r["Email"]).lower() == "office@example.org"]
    assert [r["Full name"] for r in office] == ["Alex Reid"]
    reason = excluded_reasons(out)["Beth Reid"]
    row_number = rows.index(office[0]) + 2  # the header is row 1
    assert reason == f"Same email address as Alex Reid (row {row_number})"


def test_dedupe_can_be_switched_off(db: Database, cast: Cast, tmp_path: Path) -> None:
    out = tmp_path / "all-rows.xlsx"
    export_people(db, PersonFilter(), out, purpose="email", dedupe=False)
    names = [r["Full name"] for r in read_sheet(out)]
    assert "Alex Reid" in names and "Beth Reid" in names


def test_one_letter_per_address_with_joint_salutation(db: Database, cast: Cast, tmp_path: Path) -> None:
    out = tmp_path / "joint.xlsx"
    result = export_people(db, PersonFilter(), out, purpose="post", joint_salutation=True)
    rows = [r for r in read_sheet(out) if r["Address line 1"] == "1 High Street"]
    assert len(rows) == 1
    row = rows[0]
    assert row["Informal salutation"] == "Dear Anna and James"
    assert row["Formal salutation"] == "Dear Ms and Mr Smith"
    assert row["Addressee"] == "Ms Anna Smith and Mr James Smith"
    assert result.people == result.exported + 1
    assert "James Smith" not in excluded_reasons(out)


def test_one_letter_per_address_without_joint_salutation(db: Database, cast: Cast, tmp_path: Path) -> None:
    out = tmp_path / "letters.xlsx"
    export_people(db, PersonFilter(), out, purpose="post")
    rows = [r for r in read_sheet(out) if r["Address line 1"] == "1 High Street"]
    assert [r["Formal salutation"] for r in rows] == ["Dear Ms Smith"]
    assert excluded_reasons(out)["James Smith"].startswith("Same postal address as Anna Smith (row ")


def test_joint_salutation_needs_the_post_channel(db: Database, cast: Cast, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="letters"):
        export_people(db, PersonFilter(), tmp_path / "x.xlsx", purpose="email", joint_salutation=True)
    assert not (tmp_path / "x.xlsx").exists()


def test_explicit_selection_lists_trashed_people_as_excluded(
    db: Database, cast: Cast, tmp_path: Path
) -> None:
    out = tmp_path / "selection.xlsx"
    result = export_people(db, PersonFilter(ids=[cast.claudia, cast.trashed]), out)
    assert [r["Full name"] for r in read_sheet(out)] == ["Claudia Beamish"]
    assert excluded_reasons(out) == {"Tess Trask": "In the Trash"}
    assert (result.exported, result.excluded) == (1, 1)


def test_network_with_role(db: Database, cast: Cast, tmp_path: Path) -> None:
    out = tmp_path / "chairs.xlsx"
    export_people(db, PersonFilter(network="Kindness Champions", network_role="chair"), out)
    assert sorted(r["Full name"] for r in read_sheet(out)) == ["Claudia Beamish", "James Smith"]
    out2 = tmp_path / "members.xlsx"
    export_people(db, PersonFilter(network="Kindness Champions", network_role="member"), out2)
    assert [r["Full name"] for r in read_sheet(out2)] == ["Anna Smith"]
    assert excluded_reasons(out2) == {"Dora Noble": "Do not contact"}


def test_event_attendance(db: Database, cast: Cast, tmp_path: Path) -> None:
    with db.transaction() as s:
        event = events.create_event(s, "Kindness reception", starts_on=dt.date(2026, 5, 1))
        events.set_attendance(s, event.id, [cast.claudia, cast.anna], "attended")
        events.set_attendance(s, event.id, [cast.james], "apologies")
        event_id = event.id
    out = tmp_path / "came.xlsx"
    export_people(db, PersonFilter(), out, event_id=event_id, attendance_statuses=["attended"])
    assert sorted(r["Full name"] for r in read_sheet(out)) == ["Anna Smith", "Claudia Beamish"]
    out2 = tmp_path / "everyone.xlsx"
    # Name badges, not a mailing: the post rules (one letter per household) are ignored on purpose.
    export_people(db, PersonFilter(), out2, event_id=event_id, ignore_channel_rules="Name badges")
    assert len(read_sheet(out2)) == 3
    with pytest.raises(NotFoundError):
        export_people(db, PersonFilter(), tmp_path / "none.xlsx", event_id=99_999)


def test_record_mailing_logs_one_interaction_for_everyone_exported(
    db: Database, cast: Cast, tmp_path: Path
) -> None:
    out = tmp_path / "autumn.xlsx"
    result = export_people(db, PersonFilter(), out, purpose="email", record_mailing="Autumn newsletter")
    with db.session() as s:
        interaction = s.get(Interaction, result.interaction_id)
        assert interaction is not None
        assert (interaction.subject, interaction.kind) == ("Mailing: Autumn newsletter", "email")
        linked = set(
            s.scalars(
                select(InteractionPerson.person_id).where(InteractionPerson.interaction_id == interaction.id)
            )
        )
        exported_emails = {str(r["Email"]) for r in read_sheet(out)}
        emails = set(s.scalars(select(Person.email).where(Person.id.in_(linked))))
        assert emails == exported_emails
        assert cast.email_out not in linked and cast.dnc not in linked
        assert s.get(Person, cast.james).last_contacted == dt.date.today()  # type: ignore[union-attr]


def test_letters_are_recorded_as_letters_for_everyone_on_a_joint_row(
    db: Database, cast: Cast, tmp_path: Path
) -> None:
    result = export_people(
        db,
        PersonFilter(),
        tmp_path / "l.xlsx",
        purpose="post",
        joint_salutation=True,
        record_mailing="Invitation",
    )
    with db.session() as s:
        interaction = s.get(Interaction, result.interaction_id)
        assert interaction is not None and interaction.kind == "letter"
        linked = set(
            s.scalars(
                select(InteractionPerson.person_id).where(InteractionPerson.interaction_id == interaction.id)
            )
        )
    assert {cast.james, cast.anna} <= linked
    assert len(linked) == result.people


def test_every_export_is_in_the_audit_log(db: Database, cast: Cast, tmp_path: Path) -> None:
    export_people(db, PersonFilter(network="Kindness Champions"), tmp_path / "audit.xlsx", preset="email")
    with db.session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "export")).one()
    assert entry.new_value == "audit.xlsx"
    assert "Kindness Champions" in (entry.details or "")


def test_cancel_leaves_no_file_and_keeps_the_old_one(db: Database, tmp_path: Path) -> None:
    with db.transaction() as s:
        people.bulk_insert_people(
            s,
            [{"first_name": f"P{i}", "last_name": "Many", "email": f"p{i}@example.org"} for i in range(1200)],
        )
    folder = tmp_path / "exports"
    folder.mkdir()
    out = folder / "big.xlsx"
    out.write_bytes(b"an earlier export")
    calls: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        calls.append((done, total))

    with pytest.raises(Cancelled):
        export_people(db, PersonFilter(), out, progress=progress, should_cancel=lambda: len(calls) >= 1)
    assert out.read_bytes() == b"an earlier export"
    assert sorted(p.name for p in folder.iterdir()) == ["big.xlsx"]
    assert calls == [(500, 1200)]


def test_progress_reaches_the_total(db: Database, cast: Cast, tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    export_people(db, PersonFilter(), tmp_path / "p.xlsx", progress=lambda d, t: calls.append((d, t)))
    total = calls[-1][1]
    assert calls[-1] == (total, total) and total > 10


def test_file_problems_are_user_errors(db: Database, cast: Cast, tmp_path: Path) -> None:
    with pytest.raises(FileProblem, match=r"\.xlsx or \.csv"):
        export_people(db, PersonFilter(), tmp_path / "list.txt")
    with pytest.raises(FileProblem, match="does not exist"):
        export_people(db, PersonFilter(), tmp_path / "nowhere" / "list.xlsx")
    with pytest.raises(ValidationError, match="no export column"):
        export_people(db, PersonFilter(), tmp_path / "list.xlsx", columns=["email", "shoe_size"])


def test_preview_shows_the_first_rows_of_the_export(db: Database, cast: Cast) -> None:
    with db.session() as s:
        rows = preview_rows(
            s,
            PersonFilter(network="Kindness Champions"),
            ["addressee", "salutation_informal", "last_contacted"],
            limit=2,
            options=ExportOptions(purpose="email"),
        )
    assert rows == [
        ["Ms Claudia Beamish MSP", "Dear Claudia", "01/03/2026"],
        ["Ms Anna Smith", "Dear Anna", ""],
    ]


def test_trash_export_excludes_everyone(db: Database, cast: Cast, tmp_path: Path) -> None:
    out = tmp_path / "trash.xlsx"
    result = export_people(db, dataclasses.replace(PersonFilter(), in_trash=True), out)
    assert result.exported == 0
    assert excluded_reasons(out) == {"Tess Trask": "In the Trash"}


def test_email_addresses_for_bcc_follow_the_email_rules(db: Database, cast: Cast) -> None:
    from crm.exporting import batches, email_addresses

    with db.session() as s:
        emails = email_addresses(s, PersonFilter(), ExportOptions(purpose="post"))
    assert "claudia.beamish@parliament.scot.example" in emails
    assert "eric@example.org" not in emails  # opted out of email
    assert "dora@example.org" not in emails  # do not contact
    assert "sam@example.org" not in emails  # suppressed
    assert emails.count("office@example.org") == 1
    assert [len(b) for b in batches(emails, 4)] == [4] * (len(emails) // 4) + (
        [len(emails) % 4] if len(emails) % 4 else []
    )


def test_a_workplace_is_not_a_household(db: Database, tmp_path: Path) -> None:
    with db.transaction() as s:
        for first in ("Ann", "Bob", "Cat", "Dan"):
            people.create_person(
                s,
                title="Dr",
                first_name=first,
                last_name="Reid",
                address_line1="1 University Road",
                postcode="G12 8QQ",
            )
    out = tmp_path / "workplace.xlsx"
    result = export_people(db, PersonFilter(), out, purpose="post", joint_salutation=True)
    (row,) = read_sheet(out)
    assert row["Informal salutation"] == "Dear colleagues"
    assert row["Addressee"] == "Dr Ann Reid and colleagues"
    assert result.people == 4


def test_colleagues_at_a_workplace_each_get_their_own_letter(db: Database, tmp_path: Path) -> None:
    from crm.services import organisations

    with db.transaction() as s:
        parliament = organisations.create_organisation(s, name="Scottish Parliament")
        for first, last in (("Claudia", "Beamish"), ("Alasdair", "Munro")):
            people.create_person(
                s,
                title="Ms" if first == "Claudia" else "Mr",
                first_name=first,
                last_name=last,
                post_nominals="MSP",
                address_line1="The Scottish Parliament",
                town="Edinburgh",
                postcode="EH99 1SP",
                organisation_id=parliament.id,
            )
    out = tmp_path / "msps.xlsx"
    result = export_people(db, PersonFilter(), out, purpose="post", joint_salutation=True)
    assert result.exported == 2
    assert sorted(r["Formal salutation"] for r in read_sheet(out)) == ["Dear Mr Munro", "Dear Ms Beamish"]


def test_mail_merge_has_one_address_block_beside_the_separate_lines(
    db: Database, cast: Cast, tmp_path: Path
) -> None:
    out = tmp_path / "merge.xlsx"
    export_people(db, PersonFilter(), out, preset="mail-merge")
    rows = by_email(read_sheet(out))
    claudia = rows["claudia.beamish@parliament.scot.example"]
    assert claudia["Address block"] == (
        "Ms Claudia Beamish MSP\nThe Scottish Parliament\nEdinburgh\nEH99 1SP"
    )
    assert claudia["Address line 1"] == "The Scottish Parliament"  # the separate lines stay
    # Letters to a household: one block, names joined like the addressee.
    out = tmp_path / "joint.xlsx"
    export_people(db, PersonFilter(), out, purpose="post", joint_salutation=True)
    row = next(r for r in read_sheet(out) if r["Address line 1"] == "1 High Street")
    assert row["Address block"] == "Ms Anna Smith and Mr James Smith\n1 High Street\nLeeds\nLS1 1AA"
