"""Long lists: rows cleaned a part at a time, values held compactly and the sheet let go as it is
cleaned give exactly what one pass over the whole list gives (real imports, SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crm.db import Database
from crm.importing import ImportOptions, apply_import, dry_run, read_table, suggest_mapping, undo_import
from crm.importing import rows as import_rows
from crm.importing.plan import ImportPlan, RowPlan, RowValues
from crm.models import Consent, Membership, Network, Person, PersonTag, Suppression, Tag
from crm.services import people

from tests.crm.importing.conftest import write_csv

HEADINGS = [
    "First name",
    "Last name",
    "Email",
    "Organisation",
    "Postcode",
    "Phone",
    "Tags",
    "Network",
    "Joined",
]


def _first(i: int) -> str:
    return "Ann" + "bcdefghijklmnopqrstuvwxyz"[i % 25] + "aeiou"[i // 25]


def _last(i: int) -> str:
    return "Mac" + "bcdefghijklmn"[i % 13]


def _rows() -> list[list[Any]]:
    """Forty people across several parts of seven rows, with duplicates whose first row is in an
    earlier part than the later one, problems, rejects, and joining dates whose day-first reading
    is given away only by a date near the end."""
    out: list[list[Any]] = []
    for i in range(40):
        out.append(
            [
                _first(i),
                _last(i),
                f"person{i}@example.org",
                f"Org {i % 5}",
                "EH1 1AA" if i % 3 else "",
                f"0131 496 {1000 + i}" if i % 2 else "",
                "reception; volunteers" if i % 4 == 0 else ("newsletter" if i % 4 == 1 else ""),
                "Kindness Champions" if i % 6 == 0 else "",
                f"0{1 + i % 9}/0{1 + i % 7}/2024" if i % 6 == 0 else "",
            ]
        )
    out[36][8] = "25/12/2024"  # only this date says the column is day first
    out[36][7] = "Kindness Champions"
    # The same email as row 3's person, far below it (its tag joins row 3's person).
    out[30] = [_first(1), _last(1), "PERSON1@example.org", "", "", "0131 496 9999", "later tag", "", ""]
    # The same name and organisation as row 4's person, with no email.
    out[25] = [_first(2), _last(2), "", "Org 2", "", "07700 900222", "", "", ""]
    # The same name and postcode as row 6's person (postcode EH1 1AA), no email.
    out[33] = [_first(4), _last(4), "", "", "eh1 1aa", "", "", "", ""]
    out[10] = ["", "", "", "Org 1", "", "", "", "", ""]  # rejected: nobody
    out[18] = ["Totals", "", "", "", "", "", "", "", ""]  # rejected: a totals row
    out[12][2] = "not an email"  # flagged
    out[15][4] = "XYZ"  # flagged postcode (kept as typed)
    out[21][2] = "suppressed@example.org"  # on the do-not-contact list
    out[27] = ["Existing", "Person", "existing@example.org", "", "", "0131 000 0000", "", "", ""]
    return [HEADINGS, *out]


@pytest.fixture
def long_list(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "long-list.csv", _rows())


def _given(db: Database) -> None:
    with db.transaction() as session:
        session.add(Suppression(email="suppressed@example.org", reason="Objected"))
        people.create_person(session, first_name="Existing", last_name="Person", email="existing@example.org")


def _plan(db: Database, path: Path, **kwargs: Any) -> ImportPlan:
    table = read_table(path)
    return dry_run(db, table, suggest_mapping(table.headers), ImportOptions(tags=["spring"]), **kwargs).plan


def _row_view(r: RowPlan) -> tuple[Any, ...]:
    return (
        r.row,
        r.action,
        dict(r.values),
        list(r.values),
        r.organisation,
        r.networks,
        r.network_extras,
        r.tags,
        r.types,
        r.person_id,
        r.match,
        r.duplicate_of_row,
        dict(r.changes),
        r.reasons,
        r.flags,
        r.describe(),
    )


def _small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_rows, "CLEAN_CHUNK", 7)
    monkeypatch.setattr(import_rows, "COMPACT_FROM", 1)


def test_parts_and_compact_values_plan_exactly_as_one_pass(
    db: Database, long_list: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _given(db)
    whole = _plan(db, long_list)
    assert whole.counts["rejected"] == 2 and whole.counts["flagged"] >= 3
    assert not any(isinstance(r.values, RowValues) for r in whole.rows)
    _small_parts(monkeypatch)
    parted = _plan(db, long_list, release_rows=True)
    assert all(isinstance(r.values, RowValues) for r in parted.rows)
    assert [_row_view(r) for r in parted.rows] == [_row_view(r) for r in whole.rows]
    assert (parted.counts, parted.new_organisations, parted.new_networks) == (
        whole.counts,
        whole.new_organisations,
        whole.new_networks,
    )
    by_row = {r.row: r for r in parted.rows}
    # In-file duplicates whose first row was cleaned in an earlier part.
    assert by_row[32].duplicate_of_row == 3 and by_row[32].action == "skip"
    assert by_row[27].duplicate_of_row == 4 and "organisation" in (by_row[27].match or "")
    assert by_row[35].duplicate_of_row == 6 and "postcode" in (by_row[35].match or "")
    assert by_row[29].action == "update" and by_row[29].person_name == "Existing Person"
    # The joining dates were read day first from a date in the last part.
    assert by_row[2].networks == (("Kindness Champions", "member", dt.date(2024, 1, 1)),)
    assert by_row[38].networks[0][2] == dt.date(2024, 12, 25)


def test_import_in_parts_writes_what_one_pass_writes_and_undoes(
    db: Database, long_list: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _given(db)
    expected = _plan(db, long_list)
    _small_parts(monkeypatch)
    table = read_table(long_list)
    result = apply_import(
        db, table, suggest_mapping(table.headers), ImportOptions(tags=["spring"]), release_rows=True
    )
    assert result.as_dict() | {"seconds": 0, "batch_id": 0} == {
        **expected.counts,
        "batch_id": 0,
        "seconds": 0,
        "dry_run": False,
    }
    # The table keeps its headings and its length; its rows' cells were let go once cleaned.
    assert table.headers == HEADINGS
    assert len(table.data_rows) == 40
    assert all(cells == [] for _, cells in table.data_rows)
    with db.session() as session:
        found = {p.email: p for p in session.scalars(select(Person))}
        # A later duplicate fills only what the first row left empty (fill, the default).
        assert found["person1@example.org"].phone == "0131 496 1001"
        assert found["person2@example.org"].phone == "07700 900222"
        assert found["suppressed@example.org"].do_not_contact is True
        assert found["existing@example.org"].phone == "0131 000 0000"
        tagged = session.execute(
            select(Person.email, Tag.name)
            .join(PersonTag, PersonTag.person_id == Person.id)
            .join(Tag, Tag.id == PersonTag.tag_id)
        ).all()
        assert {t for e, t in tagged if e == "person0@example.org"} == {"reception", "volunteers", "spring"}
        assert {t for e, t in tagged if e == "person1@example.org"} == {"newsletter", "later tag", "spring"}
        joined = session.execute(
            select(Person.email, Membership.joined_on)
            .join(Membership, Membership.person_id == Person.id)
            .join(Network, Network.id == Membership.network_id)
        ).all()
        assert ("person36@example.org", dt.date(2024, 12, 25)) in joined
        assert len(found) == 1 + result.created
    assert result.batch_id is not None
    undone = undo_import(db, result.batch_id)
    assert undone.removed == result.created
    with db.session() as session:
        assert session.scalar(select(Person.phone).where(Person.email == "existing@example.org")) is None
        assert session.scalars(select(Person.email).where(Person.deleted_at.is_(None))).all() == [
            "existing@example.org"
        ]


def test_rows_are_kept_when_a_consent_column_reads_them_afterwards(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small_parts(monkeypatch)
    path = write_csv(
        tmp_path / "signups.csv",
        [["Name", "Email", "Newsletter?"]] + [[f"Person {i}", f"p{i}@example.org", "Yes"] for i in range(20)],
    )
    table = read_table(path)
    options = ImportOptions(consent_column=2, consent_column_purpose="newsletter")
    result = apply_import(db, table, {0: "full_name", 1: "email"}, options, release_rows=True)
    assert result.created == 20
    assert table.data_rows[0][1] == ["Person 0", "p0@example.org", "Yes"]
    with db.session() as session:
        assert len(session.scalars(select(Consent.id)).all()) == 20


def test_command_line_output_is_the_same_with_rows_let_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command line lets the rows go unless it writes a problems report; what it prints is the
    same either way (the report still shows each problem row's cells)."""
    from crm.cli import main
    from crm.db import open_database

    _small_parts(monkeypatch)
    path = write_csv(tmp_path / "long-list.csv", _rows())
    outputs = []
    for name, extra in (("a", []), ("b", ["--report", str(tmp_path / "problems.xlsx")])):
        open_database(tmp_path / f"{name}.db").dispose()
        argv = [
            "--db",
            str(tmp_path / f"{name}.db"),
            "import",
            str(path),
            "--tag",
            "spring",
            "--json",
            *extra,
        ]
        assert main(argv) == 0
        outputs.append(json.loads(capsys.readouterr().out.strip().splitlines()[-1]))
    first, second = outputs
    for key in ("created", "updated", "skipped", "rejected", "flagged", "problems", "columns", "header_row"):
        assert first[key] == second[key]
    assert first["rejected"] == 2 and any("row 14" in p for p in first["problems"])
    import openpyxl

    workbook = openpyxl.load_workbook(tmp_path / "problems.xlsx", read_only=True)
    try:
        cells = {row[0]: row for row in workbook.worksheets[0].iter_rows(min_row=2, values_only=True)}
    finally:
        workbook.close()
    assert cells["14"][3 + 2] == "not an email"


def test_row_values_behave_as_the_dict_they_stand_for() -> None:
    source = {"first_name": "Ann", "email": "ann@example.org", "phone": None}
    values = RowValues(source)
    assert values == source and source == values and dict(values) == source
    assert list(values) == list(source) and list(values.items()) == list(source.items())
    assert (values["email"], values.get("email"), values.get("town"), values.get("town", "-")) == (
        "ann@example.org",
        "ann@example.org",
        None,
        "-",
    )
    assert "email" in values and "town" not in values and len(values) == 3
    with pytest.raises(KeyError):
        values["town"]
    values["do_not_contact"] = True
    values["first_name"] = "Anne"
    assert values.pop("phone") is None
    assert values.setdefault("town", "Leith") == "Leith"
    values.update(region="Lothian")
    del values["region"]
    assert dict(values) == {
        "first_name": "Anne",
        "email": "ann@example.org",
        "do_not_contact": True,
        "town": "Leith",
    }
    assert {"source": "file", **values} == {"source": "file", **dict(values)}
    assert repr(values) == repr(dict(values))
    # Rows with the same fields share one key tuple.
    assert RowValues({"a": 1, "b": 2})._keys is RowValues({"a": 3, "b": 4})._keys
