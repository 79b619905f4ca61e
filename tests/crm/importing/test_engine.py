"""Planning, applying and undoing imports against a real database (SQLite, and PostgreSQL when set)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from crm.db import Database
from crm.errors import Cancelled, ConflictError, FileProblem, NotFoundError, UserError
from crm.importing import (
    ImportConflict,
    ImportOptions,
    apply_import,
    dry_run,
    list_batches,
    plan_import,
    read_table,
    suggest_mapping,
    undo_import,
)
from crm.importing.reader import sha256_of
from crm.importing.report import write_problems_report
from crm.models import (
    AuditEntry,
    Consent,
    ElectedRole,
    ImportBatch,
    Membership,
    Network,
    Organisation,
    Person,
    PersonTag,
    PersonType,
    Suppression,
)
from crm.services import organisations, people, tags

from tests.crm.importing.conftest import HEADINGS, PEOPLE, write_csv, write_xlsx


def _import(db: Database, path: Path, **options: Any) -> Any:
    table = read_table(path)
    return apply_import(db, table, suggest_mapping(table.headers), ImportOptions(**options))


def _people(db: Database) -> dict[str, Person]:
    with db.session() as session:
        return {
            (p.email or p.last_name or ""): p
            for p in session.scalars(select(Person).where(Person.deleted_at.is_(None)))
        }


def _count(db: Database, model: Any) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _snapshot(db: Database) -> dict[str, int]:
    return {
        m.__tablename__: _count(db, m)
        for m in (Person, Organisation, Membership, PersonTag, PersonType, Consent, AuditEntry, ImportBatch)
    }


def test_import_cleans_values_and_matches_organisations_once(db: Database, contacts_csv: Path) -> None:
    result = _import(db, contacts_csv)
    assert (result.created, result.updated, result.rejected) == (4, 0, 0)
    found = _people(db)
    sean = found["sean.ofloinn@example.org"]
    assert (sean.first_name, sean.last_name, sean.postcode, sean.phone) == (
        "Seán",
        "Ó Floinn",
        "EH99 1SP",
        "0131 348 5000",
    )
    amir = found["amir.khan@example.org"]
    assert (amir.first_name, amir.last_name, amir.mobile if amir.mobile else amir.phone) == (
        "Amir",
        "Khan",
        "07700 900123",
    )
    # "The Kindness Trust Ltd" and "kindness trust" are one organisation, created once.
    assert sean.organisation_id == amir.organisation_id is not None
    with db.session() as session:
        names = sorted(session.scalars(select(Organisation.name)))
    assert names == ["Cardiff Council", "The Kindness Trust Ltd"]
    assert sean.source == "Import: contacts.csv"


def test_existing_organisation_is_reused(db: Database, contacts_csv: Path) -> None:
    with db.transaction() as session:
        org = organisations.create_organisation(session, name="Kindness Trust")
        org_id = org.id
    _import(db, contacts_csv)
    assert _people(db)["sean.ofloinn@example.org"].organisation_id == org_id
    assert _count(db, Organisation) == 2


def test_search_finds_imported_people_without_accents(sqlite_db: Database, contacts_xlsx: Path) -> None:
    _import(sqlite_db, contacts_xlsx)
    with sqlite_db.engine.connect() as conn:
        hits = conn.exec_driver_sql("SELECT rowid FROM person_fts WHERE person_fts MATCH 'floinn'").all()
    assert len(hits) == 1


def test_dry_run_reports_rows_and_changes_nothing(db: Database, tmp_path: Path) -> None:
    with db.transaction() as session:
        people.create_person(session, first_name="Zoë", last_name="Müller", email="ZOE@example.org")
    before = _snapshot(db)
    path = write_csv(tmp_path / "list.csv", [HEADINGS, *PEOPLE, ["", "", "", "Orphan Ltd", "", ""]])
    table = read_table(path)
    result = dry_run(db, table, suggest_mapping(table.headers), ImportOptions(tags=["reception"]))
    assert _snapshot(db) == before
    assert result.batch_id is None and result.dry_run
    by_row = {r.row: r for r in result.plan.rows}
    assert by_row[2].action == "create"
    assert by_row[3].action == "update"
    assert "the same email address" in (by_row[3].match or "")
    assert by_row[6].action == "reject" and by_row[6].reasons == ("no name or email address",)
    assert (result.created, result.updated, result.rejected) == (3, 1, 1)


def test_duplicates_within_the_file_are_merged(db: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "dups.csv",
        [
            ["Name", "Email", "Job title", "Town"],
            ["Jane Smith", "jane@example.org", "", "Leeds"],
            ["Jane Smith", "JANE@Example.org", "Director", "York"],
            ["Jane Smith", "other@example.org", "", "Leeds"],  # different email: a different Jane
        ],
    )
    result = _import(db, path)
    assert (result.created, result.skipped) == (2, 1)
    assert result.plan.rows[1].reasons == ("merged into row 2 (the same email address)",)
    jane = _people(db)["jane@example.org"]
    assert (jane.job_title, jane.town) == ("Director", "Leeds")  # filled, not overwritten


def _existing(db: Database) -> int:
    with db.transaction() as session:
        org = organisations.create_organisation(session, name="Cardiff Council")
        person = people.create_person(
            session,
            first_name="Siân",
            last_name="Davies",
            job_title="Clerk",
            phone="029 2000 0000",
            organisation_id=org.id,
        )
        return person.id


def test_duplicates_against_database_by_name_and_organisation(db: Database, contacts_csv: Path) -> None:
    pid = _existing(db)
    result = _import(db, contacts_csv)
    assert (result.created, result.updated) == (3, 1)
    row = next(r for r in result.plan.rows if r.person_id == pid)
    assert row.match == "the same name and organisation is already in Kindred"
    sian = _people(db)["Davies"]
    # fill (the default): empty postcode filled, the stored phone kept
    assert (sian.postcode, sian.phone, sian.job_title) == ("CF10 4UW", "029 2000 0000", "Clerk")


def test_duplicates_by_name_and_postcode(db: Database, tmp_path: Path) -> None:
    with db.transaction() as session:
        people.create_person(session, first_name="Ada", last_name="Lovelace", postcode="EH1 1AA")
    path = write_csv(
        tmp_path / "l.csv",
        [["First name", "Last name", "Postcode", "Town"], ["ada", "LOVELACE", "eh11aa", "Edinburgh"]],
    )
    result = _import(db, path)
    assert result.updated == 1 and result.created == 0
    assert _people(db)["Lovelace"].town == "Edinburgh"


@pytest.mark.parametrize(
    ("choice", "expected_phone", "people_after"),
    [
        ("fill", "029 2000 0000", 4),
        ("overwrite", "029 2087 2000", 4),
        ("skip", "029 2000 0000", 4),
        ("create", "029 2000 0000", 5),
    ],
)
def test_duplicate_choices(
    db: Database, contacts_csv: Path, choice: str, expected_phone: str, people_after: int
) -> None:
    pid = _existing(db)
    result = _import(db, contacts_csv, on_duplicate=choice)
    with db.session() as session:
        assert session.get(Person, pid).phone == expected_phone  # type: ignore[union-attr]
        assert session.scalar(select(func.count(Person.id))) == people_after
    assert result.skipped == (1 if choice == "skip" else 0)


def test_per_row_choice_overrides_the_default(db: Database, contacts_csv: Path) -> None:
    pid = _existing(db)
    table = read_table(contacts_csv)
    apply_import(
        db,
        table,
        suggest_mapping(table.headers),
        ImportOptions(on_duplicate="skip", row_actions={4: "overwrite"}),
    )
    with db.session() as session:
        assert session.get(Person, pid).phone == "029 2087 2000"  # type: ignore[union-attr]


def test_blank_cell_never_erases(db: Database, tmp_path: Path) -> None:
    with db.transaction() as session:
        people.create_person(
            session,
            first_name="Ada",
            last_name="Lovelace",
            email="ada@example.org",
            town="Leeds",
            job_title="Engineer",
        )
    path = write_csv(
        tmp_path / "l.csv", [["Email", "Town", "Job title"], ["ada@example.org", "", "Mathematician"]]
    )
    result = _import(db, path, on_duplicate="overwrite")
    assert result.updated == 1
    ada = _people(db)["ada@example.org"]
    assert (ada.town, ada.job_title) == ("Leeds", "Mathematician")


def test_bad_values_flagged_with_row_column_and_reason(db: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "bad.csv",
        [
            ["Name", "Email", "Phone", "Postcode", "Joined", "Notes", "Country"],
            ["Ada Lovelace", "ada@", "12", "XX1", "31/02/2024", "x" * 33_000, ""],
            ["Jean Dupont", "jean@example.fr", "", "75008", "", "", "France"],
        ],
    )
    result = _import(db, path)
    assert result.created == 2 and result.flagged == 1
    flags = {f.column: f for f in result.plan.rows[0].flags}
    assert flags["Email"].row == 2 and "not a valid email address" in flags["Email"].reason
    assert "not a phone number" in flags["Phone"].reason
    assert "not a UK postcode (kept as typed)" in flags["Postcode"].reason
    assert (
        "more than a spreadsheet cell can hold" in flags["Notes"].reason
        or "longer than" in flags["Notes"].reason
    )
    found = _people(db)
    assert found["Lovelace"].email is None and found["Lovelace"].postcode == "XX1"
    assert found["jean@example.fr"].postcode == "75008"  # overseas: kept without a flag


def test_ambiguous_dates_flagged_unless_the_column_settles_them(db: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "d.csv",
        [
            ["Name", "Email", "Group", "Joined"],
            ["A B", "a@example.org", "Champions", "04/03/2024"],
            ["C D", "c@example.org", "Champions", "05/06/2024"],
        ],
    )
    result = _import(db, path)
    assert [f.reason for r in result.plan.rows for f in r.flags] == [
        "'04/03/2024' could be read either way: taken as 4 March 2024 (day first)",
        "'05/06/2024' could be read either way: taken as 5 June 2024 (day first)",
    ]
    us = write_csv(
        tmp_path / "us.csv",
        [
            ["Name", "Email", "Group", "Joined"],
            ["E F", "e@example.org", "Champions", "03/13/2024"],
            ["G H", "g@example.org", "Champions", "04/05/2024"],
        ],
    )
    result = _import(db, us)
    assert result.flagged == 0
    with db.session() as session:
        joined = dict(
            session.execute(
                select(Person.email, Membership.joined_on).join(Membership, Membership.person_id == Person.id)
            ).all()
        )
    assert joined["g@example.org"] == dt.date(2024, 4, 5)  # month first, as the column shows


def test_per_row_network_role_tag_and_type_columns(db: Database, tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "net.xlsx",
        {
            "List": [
                ["Name", "Email", "Network", "Role", "Tags", "Type"],
                [
                    "Ann Jones",
                    "ann@example.org",
                    "Kindness Champions",
                    "Lead",
                    "newsletter; reception",
                    "MSP",
                ],
                ["Bob Roy", "bob@example.org", "Kindness Leadership Network", "", "newsletter", "Councillor"],
            ]
        },
    )
    _import(db, path, network="Everyone", role="observer", tags=["imported"], type="funder")
    with db.session() as session:
        rows = session.execute(
            select(Person.email, Network.name, Membership.role)
            .join(Membership, Membership.person_id == Person.id)
            .join(Network, Network.id == Membership.network_id)
            .order_by(Person.email, Network.name)
        ).all()
        ann = session.scalar(select(Person.id).where(Person.email == "ann@example.org"))
        types = sorted(session.scalars(select(PersonType.type).where(PersonType.person_id == ann)))
        assert tags.tags_of(session, ann) == ["imported", "newsletter", "reception"]  # type: ignore[arg-type]
    assert rows == [
        ("ann@example.org", "Everyone", "lead"),
        ("ann@example.org", "Kindness Champions", "lead"),
        ("bob@example.org", "Everyone", "observer"),
        ("bob@example.org", "Kindness Leadership Network", "member"),
    ]
    assert types == ["funder", "msp"]


def test_party_and_constituency_make_an_elected_role(db: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "msps.csv",
        [
            ["Full name", "Party", "Constituency", "Type"],
            ["Smith, Dr Jane", "SNP", "Edinburgh Central", "MSP"],
            ["Bob Roy", "Labour", "Leith", ""],
        ],
    )
    result = _import(db, path)
    with db.session() as session:
        roles = session.execute(
            select(ElectedRole.chamber, ElectedRole.party, ElectedRole.constituency)
        ).all()
    assert roles == [("Scottish Parliament", "SNP", "Edinburgh Central")]
    assert "which parliament or council" in result.plan.rows[1].flags[0].reason
    jane = _people(db)["Smith"]
    assert (jane.title, jane.first_name) == ("Dr", "Jane")


def test_consent_recorded_for_everyone_imported(db: Database, contacts_csv: Path) -> None:
    _import(
        db,
        contacts_csv,
        consent_purpose="newsletter",
        consent_date=dt.date(2026, 3, 1),
        consent_source="Reception sign-up sheet",
    )
    with db.session() as session:
        rows = session.execute(select(Consent.purpose, Consent.recorded_on, Consent.source)).all()
    assert len(rows) == 4
    assert set(rows) == {("newsletter", dt.date(2026, 3, 1), "Reception sign-up sheet")}


def test_suppressed_email_imported_as_do_not_contact(db: Database, contacts_csv: Path) -> None:
    with db.transaction() as session:
        session.add(Suppression(email="zoe@example.org", reason="Objected"))
    result = _import(db, contacts_csv, consent_purpose="newsletter")
    zoe = _people(db)["zoe@example.org"]
    assert zoe.do_not_contact is True
    assert any("do-not-contact list" in f.reason for r in result.plan.rows for f in r.flags)
    with db.session() as session:
        assert session.scalar(select(func.count(Consent.id)).where(Consent.person_id == zoe.id)) == 0


def test_batch_recorded_with_file_hash_and_counts(db: Database, contacts_csv: Path) -> None:
    result = _import(db, contacts_csv, tags=["reception"])
    with db.session() as session:
        batch = session.get(ImportBatch, result.batch_id)
        assert batch is not None
        assert (batch.file_name, batch.sha256, batch.created, batch.rejected) == (
            "contacts.csv",
            sha256_of(contacts_csv),
            4,
            0,
        )
        assert batch.options is not None and batch.options["tags"] == ["reception"]
        assert batch.finished_at is not None
        assert [b.id for b in list_batches(session)] == [result.batch_id]


def test_cancelled_import_leaves_database_unchanged(db: Database, contacts_csv: Path) -> None:
    with db.transaction() as session:
        people.create_person(session, first_name="Siân", last_name="Davies", email="zoe@example.org")
    before = _snapshot(db)
    table = read_table(contacts_csv)
    calls = []

    def should_cancel() -> bool:
        calls.append(1)
        return len(calls) > 3  # cancelled while writing

    with pytest.raises(Cancelled):
        apply_import(
            db,
            table,
            suggest_mapping(table.headers),
            ImportOptions(network="Champions", tags=["x"]),
            should_cancel=should_cancel,
        )
    assert _snapshot(db) == before


def test_refused_file_changes_nothing(db: Database, tmp_path: Path) -> None:
    before = _snapshot(db)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook at all")
    with pytest.raises(FileProblem):
        read_table(bad)
    assert _snapshot(db) == before


def test_file_without_recognisable_columns(db: Database, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "odd.csv", [["Colour", "Size"], ["Red", "10"]])
    table = read_table(path)
    with db.session() as session, pytest.raises(UserError, match="no recognisable columns"):
        plan_import(session, table, suggest_mapping(table.headers))


def test_sheet_without_recognisable_columns_names_the_other_sheets(db: Database, tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "event.xlsx", {"Totals": [["Colour", "Size"], ["Red", 10]], "Guests": [HEADINGS, *PEOPLE]}
    )
    table = read_table(path, "Totals")
    with db.session() as session, pytest.raises(UserError, match="other sheets: 'Guests'; choose one"):
        plan_import(session, table, suggest_mapping(table.headers))


def test_undo_removes_created_restores_changed_and_takes_links_back(db: Database, contacts_csv: Path) -> None:
    pid = _existing(db)
    before = _snapshot(db)
    result = _import(
        db,
        contacts_csv,
        network="Champions",
        tags=["reception"],
        type="partner_contact",
        consent_purpose="events",
    )
    assert _count(db, Person) == 4
    undone = undo_import(db, result.batch_id)
    assert (undone.removed, undone.restored) == (3, 1)
    after = _snapshot(db)
    assert {
        k: after[k] for k in ("person", "organisation", "membership", "person_tag", "person_type", "consent")
    } == {
        k: before[k] for k in ("person", "organisation", "membership", "person_tag", "person_type", "consent")
    }
    with db.session() as session:
        sian = session.get(Person, pid)
        assert sian is not None and sian.postcode is None
        assert session.get(ImportBatch, result.batch_id).undone_at is not None  # type: ignore[union-attr]
    with pytest.raises(ConflictError, match="already undone"):
        undo_import(db, result.batch_id)
    with pytest.raises(NotFoundError):
        undo_import(db, 999)


def test_undo_refuses_when_later_edits_conflict(db: Database, contacts_csv: Path) -> None:
    pid = _existing(db)
    result = _import(db, contacts_csv)
    with db.transaction() as session:
        created = session.scalar(select(Person.id).where(Person.email == "zoe@example.org"))
        people.update_person(session, created, {"job_title": "Director"})  # type: ignore[arg-type]
        people.update_person(session, pid, {"postcode": "CF10 1AA"})
    before = _snapshot(db)
    with pytest.raises(ImportConflict) as info:
        undo_import(db, result.batch_id)
    assert len(info.value.conflicts) == 2
    assert "Zoë Müller: job title changed" in str(info.value)
    assert "Siân Davies: postcode changed" in str(info.value)
    assert _snapshot(db) == before


def test_undo_allows_unrelated_later_edits(db: Database, contacts_csv: Path) -> None:
    pid = _existing(db)
    result = _import(db, contacts_csv)
    with db.transaction() as session:
        people.update_person(session, pid, {"job_title": "Chief Clerk"})  # not a field the import changed
    undo_import(db, result.batch_id)
    with db.session() as session:
        sian = session.get(Person, pid)
        assert sian is not None and (sian.job_title, sian.postcode) == ("Chief Clerk", None)


def test_problems_report_lists_rows_to_fix(db: Database, tmp_path: Path) -> None:
    import openpyxl

    path = write_csv(
        tmp_path / "bad.csv",
        [
            ["Name", "Email", "Phone"],
            ["Ada Lovelace", "ada@", '=HYPERLINK("x")'],
            ["", "", "0131 348 5000"],
            ["Bob Roy", "bob@example.org", ""],
        ],
    )
    result = _import(db, path)
    out = tmp_path / "problems.xlsx"
    assert write_problems_report(result.plan, read_table(path), out) == 2
    ws = openpyxl.load_workbook(out).active
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0] == ["Row in file", "Outcome", "What was wrong", "Name", "Email", "Phone"]
    assert rows[1][:2] == ["2", "Imported"]
    assert "Email: 'ada@' is not a valid email address" in rows[1][2]
    assert rows[1][5] == '=HYPERLINK("x")'  # kept as text, never a formula
    assert ws.cell(2, 6).data_type == "s"
    assert rows[2][:3] == ["3", "Rejected", "no name or email address"]


def test_headings_without_rows(db: Database, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "empty.csv", [["Name", "Email"]])
    table = read_table(path)
    with db.session() as session, pytest.raises(UserError, match="no rows under the headings on row 1"):
        plan_import(session, table, suggest_mapping(table.headers))


def test_import_uses_the_dry_run_plan_when_nothing_changed(db: Database, contacts_csv: Path) -> None:
    table = read_table(contacts_csv)
    mapping = suggest_mapping(table.headers)
    planned = dry_run(db, table, mapping, ImportOptions(tags=["reception"]))
    result = apply_import(db, table, mapping, ImportOptions(tags=["reception"]), plan=planned.plan)
    assert result.plan is planned.plan
    assert (result.created, result.updated) == (4, 0)
    # A plan is written once: importing again with it works the file out afresh (all duplicates now).
    again = apply_import(db, table, mapping, ImportOptions(tags=["reception"]), plan=planned.plan)
    assert again.plan is not planned.plan
    assert again.created == 0
    assert _count(db, Person) == 4


def test_dry_run_gives_its_earlier_plan_back_only_while_nothing_changed(
    db: Database, contacts_csv: Path
) -> None:
    table = read_table(contacts_csv)
    mapping = suggest_mapping(table.headers)
    first = dry_run(db, table, mapping, ImportOptions())
    assert dry_run(db, table, mapping, ImportOptions(), plan=first.plan).plan is first.plan
    other = dry_run(
        db, table, mapping, ImportOptions(on_duplicate="skip", row_actions={2: "create"}), plan=first.plan
    )
    assert other.plan is not first.plan


def test_dry_run_plan_is_not_used_after_the_database_changed(db: Database, contacts_csv: Path) -> None:
    table = read_table(contacts_csv)
    mapping = suggest_mapping(table.headers)
    planned = dry_run(db, table, mapping, ImportOptions())
    assert planned.created == 4
    # Someone adds Zoë by hand between the dry run and the import.
    with db.transaction() as session:
        people.create_person(session, first_name="Zoë", last_name="Müller", email="zoe@example.org")
    result = apply_import(db, table, mapping, ImportOptions(), plan=planned.plan)
    assert result.plan is not planned.plan
    assert (result.created, result.skipped) == (3, 1)
    assert _count(db, Person) == 4


def test_dry_run_plan_is_not_used_with_other_options(db: Database, contacts_csv: Path) -> None:
    table = read_table(contacts_csv)
    mapping = suggest_mapping(table.headers)
    planned = dry_run(db, table, mapping, ImportOptions())
    result = apply_import(db, table, mapping, ImportOptions(tags=["later choice"]), plan=planned.plan)
    assert result.plan is not planned.plan
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(PersonTag)) == 4


def test_numbers_and_yes_no_cells_are_cleaned_as_themselves(db: Database, tmp_path: Path) -> None:
    # In a workbook TRUE and 1 are different cells, though equal in Python: each keeps its meaning.
    path = write_xlsx(
        tmp_path / "typed.xlsx",
        {
            "List": [
                ["First name", "Last name", "Job title", "Phone"],
                ["Ann", "One", 1, 1313485000],
                ["Bea", "True", True, "0131 348 5000"],
                ["Cat", "Float", 1.5, None],
            ]
        },
    )
    _import(db, path)
    found = {p.first_name: p for p in _people(db).values()}
    assert (found["Ann"].job_title, found["Bea"].job_title, found["Cat"].job_title) == ("1", "Yes", "1.5")
    assert found["Ann"].phone == found["Bea"].phone == "0131 348 5000"


def test_garbage_collection_is_back_on_after_an_import(db: Database, contacts_csv: Path) -> None:
    import gc

    assert gc.isenabled()
    _import(db, contacts_csv)
    assert gc.isenabled()
    with pytest.raises(UserError):
        _import(db, write_csv(contacts_csv.with_name("empty.csv"), [HEADINGS]))
    assert gc.isenabled()


def _big_list(tmp_path: Path, rows: int = 1_200) -> Path:
    """More rows than one write chunk, so the search index is filled in the background."""
    data = [["First name", "Last name", "Email", "Town"]]
    data += [[f"Ffion{i}", f"Llewelyn{i}", f"ffion{i}@example.org", "Aberystwyth"] for i in range(rows)]
    return write_csv(tmp_path / "big.csv", data)


def test_big_import_is_searchable_and_leaves_search_working_for_new_people(
    db: Database, tmp_path: Path
) -> None:
    from crm.filters import PersonFilter, person_ids

    table = read_table(_big_list(tmp_path))
    result = apply_import(db, table, suggest_mapping(table.headers), ImportOptions())
    assert result.created == 1_200
    with db.transaction() as session:
        assert len(person_ids(session, PersonFilter(text="llewelyn1199"))) == 1
        assert len(person_ids(session, PersonFilter(text="aberystwyth"))) == 1_200
        people.create_person(session, first_name="Ceri", last_name="Afterwards")
    with db.session() as session:
        assert len(person_ids(session, PersonFilter(text="afterwards"))) == 1  # the trigger is back


def test_failure_while_filling_the_search_index_leaves_the_database_unchanged(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crm import bulk
    from crm.filters import PersonFilter, person_ids

    if not db.is_sqlite:
        pytest.skip("the search index is SQLite's")
    before = _snapshot(db)
    table = read_table(_big_list(tmp_path))
    monkeypatch.setattr(bulk, "_FILL_SEARCH_INDEX", "INSERT INTO no_such_table VALUES (?, ?)")
    with pytest.raises(Exception, match="no_such_table"):
        apply_import(db, table, suggest_mapping(table.headers), ImportOptions())
    assert _snapshot(db) == before
    with db.transaction() as session:
        people.create_person(session, first_name="Ceri", last_name="Afterwards")
    with db.session() as session:
        assert len(person_ids(session, PersonFilter(text="afterwards"))) == 1


def test_cell_with_two_addresses_imports_the_first_flags_the_other_and_finds_the_duplicate(
    db: Database, tmp_path: Path
) -> None:
    with db.transaction() as session:
        people.create_person(session, first_name="Ann", last_name="Lee", email="ann@example.org")
    path = write_csv(
        tmp_path / "list.csv",
        [
            ["Name", "Email"],
            ["Ann Lee", "ann@example.org; ann.lee@work.example"],
            ["Bob Ray", "Bob Ray <bob@example.org>"],
        ],
    )
    result = _import(db, path)
    assert (result.created, result.updated + result.skipped) == (1, 1)  # Ann is matched, not created again
    flags = [f.reason for r in result.plan.rows for f in r.flags]
    assert flags == ["holds 2 addresses: ann@example.org is imported, not ann.lee@work.example"]
    assert "bob@example.org" in _people(db)


def test_totals_row_under_the_list_is_not_a_person(db: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "list.csv",
        [
            ["First name", "Last name", "Email", "Tickets"],
            ["Ann", "Lee", "ann@example.org", 2],
            ["Total", "", "", 2],
        ],
    )
    result = _import(db, path)
    assert (result.created, result.rejected) == (1, 1)
    assert result.plan.rows[-1].reasons == ("a totals row, not a person",)


def test_joining_date_without_a_network_is_flagged_not_dropped(db: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "list.csv",
        [["Name", "Email", "Date joined"], ["Ann Lee", "ann@example.org", "1 May 2024"]],
    )
    result = _import(db, path)
    assert [f.reason for f in result.plan.rows[0].flags] == [
        "a date of joining a network needs a network: choose one in the options"
    ]
    assert _import(db, path, network="Kindness Champions").plan.rows[0].flags == ()


def test_unreadable_character_is_kept_and_flagged(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes("Name,Email\nRenée Lee\x81,renee@example.org\n".encode("latin-1"))
    result = _import(db, path)
    assert result.created == 1
    assert [f.reason for f in result.plan.rows[0].flags] == [
        "holds a character that could not be read (shown as �): check the text"
    ]


def test_kindred_id_from_an_export_finds_the_person_whatever_else_changed(
    db: Database, tmp_path: Path
) -> None:
    with db.transaction() as session:
        ann = people.create_person(session, first_name="Ann", last_name="Lee")
        ann_id = ann.id
    path = write_csv(
        tmp_path / "export-edited.csv",
        [
            ["Kindred ID", "First name", "Last name", "Town"],
            [ann_id, "Ann", "Lee", "Dunfermline"],  # no email, organisation or postcode to match on
            [999_999, "Bob", "Ray", "Leith"],
        ],
    )
    result = _import(db, path)
    assert (result.created, result.updated) == (1, 1)
    assert result.plan.rows[0].match == "the same Kindred ID"
    assert [f.reason for f in result.plan.rows[1].flags] == [
        "no one in this database has this Kindred ID: matched by email and name"
    ]
    with db.session() as session:
        assert people.get_person(session, ann_id).town == "Dunfermline"


def test_placeholders_are_read_as_blank_cells(db: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "list.csv",
        [
            ["Name", "Email", "Organisation", "Job title", "Postcode", "Phone"],
            ["Ann Lee", "ann@example.org", "N/A", "-", "TBC", "none"],
            ["Bob Ray", "bob@example.org", "n/a", "TBC", "n/a", "N/A"],
        ],
    )
    result = _import(db, path)
    assert (result.created, result.flagged) == (2, 0)
    assert _count(db, Organisation) == 0
    ann = _people(db)["ann@example.org"]
    assert (ann.job_title, ann.postcode, ann.phone, ann.organisation_id) == (None, None, None, None)


def test_address_rows_comments_and_footers_are_not_people(db: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "list.csv",
        [
            ["Name", "Email", "Phone"],
            ["Ann Lee", "ann@example.org", ""],
            ["1 High Street, Edinburgh EH1 1AA", "", ""],  # the second line of Ann's entry
            ["# cancelled below", "", ""],
            ["Bob Ray", "", "0131 496 0000"],
            ["Generated by Eventbrite on 1 March 2024", "", ""],
        ],
    )
    result = _import(db, path)
    assert (result.created, result.rejected) == (2, 3)
    reasons = {r.row: r.reasons for r in result.plan.rows if r.action == "reject"}
    assert set(reasons) == {3, 4, 6}
    assert all(
        r == ("looks like an address, a note or a summary line, not a person",) for r in reasons.values()
    )


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_a_full_export_imports_back_without_changes(db: Database, tmp_path: Path, suffix: str) -> None:
    from crm.exporting import export_people
    from crm.filters import PersonFilter

    with db.transaction() as session:
        ann = people.create_person(
            session, first_name="Ann", last_name="O'Neill", email="ann@example.org", phone="+353 1 234 5678"
        )
        bob = people.create_person(
            session, first_name="Bob", last_name="Ray", postcode="EH1 1AA", town="Leith"
        )
        tags.tag_people(session, [ann.id, bob.id], "Reception 2026")
        tags.tag_people(session, [ann.id], "=speaker")
    before = _snapshot(db)
    out = tmp_path / f"everyone{suffix}"
    export_people(db, PersonFilter(), out, preset="full")
    result = _import(db, out)
    assert (result.created, result.updated, result.rejected) == (0, 0, 0)
    assert _snapshot(db)["person_tag"] == before["person_tag"]
    assert _count(db, Person) == 2


def test_big_import_cancelled_while_writing_then_imported_again(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancelling between two chunks of new people leaves nothing behind, not even their staging
    table, so the same list imports cleanly afterwards (twice: the second time as duplicates)."""
    from crm.importing import writing

    monkeypatch.setattr(writing, "WRITE_CHUNK", 500)
    before = _snapshot(db)
    table = read_table(_big_list(tmp_path))
    mapping = suggest_mapping(table.headers)
    reached: list[int] = []
    writing_starts = len(table.data_rows) * 3 // 10  # progress after planning

    with pytest.raises(Cancelled):
        apply_import(
            db,
            table,
            mapping,
            ImportOptions(),
            progress=lambda done, _total: reached.append(done),
            should_cancel=lambda: any(d >= writing_starts + 500 for d in reached),  # one chunk written
        )
    assert _snapshot(db) == before
    assert apply_import(db, table, mapping, ImportOptions()).created == 1_200
    assert apply_import(db, table, mapping, ImportOptions()).created == 0
    assert _count(db, Person) == 1_200


def _person_indexes(db: Database) -> set[tuple[str, str]]:
    """The people table's indexes as (name, definition) on SQLite; on PostgreSQL as the catalogue has them."""
    with db.engine.connect() as conn:
        if db.is_sqlite:
            rows = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'person'"
            )
        else:
            rows = conn.exec_driver_sql(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'person'"
            )
        return {(name, sql or "") for name, sql in rows}


def test_big_import_builds_the_people_indexes_again_and_queries_use_them(
    db: Database, tmp_path: Path
) -> None:
    """A big import into a small table builds the people indexes afresh after writing (rather than
    keeping them up to date row by row): every index is back, as defined, and answers queries."""
    from crm.filters import PersonFilter, person_ids

    with db.transaction() as session:
        people.create_person(session, first_name="Analysed", last_name="Before")
    if db.is_sqlite:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")  # the query planner's statistics, as PRAGMA optimize keeps them
            stats = conn.exec_driver_sql("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'person'").all()
            assert len(stats) >= 8
    before = _person_indexes(db)
    assert len(before) >= 8
    table = read_table(_big_list(tmp_path))
    assert apply_import(db, table, suggest_mapping(table.headers), ImportOptions()).created == 1_200
    assert _person_indexes(db) == before
    if db.is_sqlite:
        with db.engine.connect() as conn:  # every index keeps its statistics, once each
            after = conn.exec_driver_sql("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'person'").all()
            assert sorted(after) == sorted(stats)
    with db.session() as session:
        assert len(person_ids(session, PersonFilter(text="ffion7"))) == 111  # ffion7, ffion70…, ffion799
    if db.is_sqlite:
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            plan = " ".join(
                str(r[-1])
                for r in conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN SELECT id FROM person WHERE lower(email) = 'ffion7@example.org'"
                )
            )
            assert "ix_person_email_lower" in plan


def test_cancelled_big_import_leaves_the_people_indexes_in_place(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crm.importing import writing

    monkeypatch.setattr(writing, "WRITE_CHUNK", 500)
    before = _person_indexes(db)
    table = read_table(_big_list(tmp_path))
    reached: list[int] = []
    writing_starts = len(table.data_rows) * 3 // 10
    with pytest.raises(Cancelled):
        apply_import(
            db,
            table,
            suggest_mapping(table.headers),
            ImportOptions(),
            progress=lambda done, _total: reached.append(done),
            should_cancel=lambda: any(d >= writing_starts + 500 for d in reached),
        )
    assert _person_indexes(db) == before


def test_small_import_into_a_big_table_keeps_the_indexes_up_to_date_as_it_goes(
    db: Database, tmp_path: Path
) -> None:
    """Beside many stored people a batch of new ones is written into the indexes directly (building
    them again would cost more); the result is the same."""
    from crm.bulk import REBUILD_INDEXES_RATIO
    from crm.services.people import bulk_insert_people

    with db.transaction() as session:
        bulk_insert_people(
            session,
            [
                {"first_name": "Stored", "last_name": f"Person{i}"}
                for i in range(600 * REBUILD_INDEXES_RATIO + 1)
            ],
        )
    before = _person_indexes(db)
    table = read_table(_big_list(tmp_path, rows=600))
    assert apply_import(db, table, suggest_mapping(table.headers), ImportOptions()).created == 600
    assert _person_indexes(db) == before
    with db.session() as session:
        found = session.scalar(select(Person.id).where(func.lower(Person.email) == "ffion599@example.org"))
        assert found is not None


def test_plans_written_in_chunks_of_one_transaction_between_begin_and_finish_bulk(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine may write a big import as several plans in one transaction, bracketed by
    ``begin_bulk`` and ``finish_bulk``: every new person gets their contact points, tags and history
    once, search finds them, the indexes and the search trigger are back, and each batch undoes."""
    from crm.filters import PersonFilter, person_ids
    from crm.importing import writing
    from crm.models import ContactPoint

    monkeypatch.setattr(writing, "WRITE_CHUNK", 500)
    before = _person_indexes(db)
    first = read_table(_big_list(tmp_path))
    rows = [["First name", "Last name", "Email", "Town", "Tel", "Tags"]]
    rows += [
        [f"Ffion{i}", f"Llewelyn{i}", f"ffion{i}@example.org", "Aberystwyth", f"0131 348 {i:04d}", "Second"]
        for i in range(1_200, 1_800)
    ]
    second = read_table(write_csv(tmp_path / "second.csv", rows))
    with db.transaction(bulk=True) as session:
        writing.begin_bulk(session, 1_800)
        writing.begin_bulk(session, 1_800)  # a second call changes nothing
        plan = plan_import(session, first, suggest_mapping(first.headers), ImportOptions(tags=["First"]))
        first_id = writing.write_plan(session, plan)
        plan = plan_import(session, second, suggest_mapping(second.headers), ImportOptions())
        second_id = writing.write_plan(session, plan)
        writing.finish_bulk(session)
    assert _person_indexes(db) == before
    with db.session() as session:
        kinds = {
            kind: n
            for kind, n in session.execute(
                select(ContactPoint.kind, func.count()).group_by(ContactPoint.kind)
            )
        }
        assert kinds == {"email": 1_800, "phone": 600, "address": 1_800}  # the town
        assert session.scalar(select(func.count()).select_from(PersonTag)) == 1_800
        created = session.scalars(
            select(AuditEntry.entity_id).where(AuditEntry.entity == "person", AuditEntry.action == "create")
        ).all()
        assert sorted(created) == sorted(session.scalars(select(Person.id)).all())
        assert len(person_ids(session, PersonFilter(text="llewelyn1799"))) == 1
        assert len(person_ids(session, PersonFilter(text="aberystwyth"))) == 1_800
    with db.transaction() as session:
        people.create_person(session, first_name="Ceri", last_name="Afterwards")
    with db.session() as session:
        assert len(person_ids(session, PersonFilter(text="afterwards"))) == 1  # the trigger is back
    undo_import(db, second_id)
    with db.session() as session:
        assert len(person_ids(session, PersonFilter(text="aberystwyth"))) == 1_200
    undo_import(db, first_id)
    assert set(_people(db)) == {"Afterwards"}


def test_garbled_accents_are_repaired_and_flagged(db: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "list.csv",
        [
            ["Name", "Email", "Organisation", "Town"],
            ["SiÃ¢n Ã“ Floinn", "sian@example.org", "CafÃ© Kindness", "Llanelli"],
            ["Zoë Müller", "zoe@example.org", "Café Kindness", "Llanelli"],  # already right: untouched
        ],
    )
    result = _import(db, path)
    assert result.created == 2
    assert [f.reason for f in result.plan.rows[0].flags] == [
        "garbled accents repaired: 'SiÃ¢n Ã“ Floinn' imported as 'Siân Ó Floinn'",
        "garbled accents repaired: 'CafÃ© Kindness' imported as 'Café Kindness'",
    ]
    assert result.plan.rows[1].flags == ()
    sian = _people(db)["sian@example.org"]
    assert (sian.first_name, sian.last_name) == ("Siân", "Ó Floinn")
    assert _count(db, Organisation) == 1  # the repaired name is the same organisation
