"""The four Excel reports and ``kindred-cli report``."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from crm.cli import main
from crm.db import Database
from crm.reports.excel import REPORTS

from tests.crm.reports.conftest import D, engagement_world, events_world, networks_world, person

HOSTILE = '=HYPERLINK("http://x","click")'


@pytest.fixture
def world(db: Database) -> Database:
    with db.transaction() as session:
        engagement_world(session)
        networks_world(session)
        events_world(session)
        hostile = person(session, "Mo", "Hostile")
        from sqlalchemy import update

        from crm.models import ElectedRole, Person
        from crm.services import roles

        roles.add_role(session, hostile, chamber="Scottish Parliament", party=HOSTILE, region="@SUM(1+1)")
        session.execute(update(Person).where(Person.id == hostile).values(first_name="=1+1"))
        assert session.query(ElectedRole).count() > 0
    return db


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    code = main(list(argv))
    return code, json.loads(capsys.readouterr().out)


def db_arg(db: Database) -> str:
    return db.url.render_as_string(hide_password=False)


CHART_SHEETS = {
    "engagement": {"By month", "Chambers", "By party", "By region"},
    "networks": {"Members over time", "Joins and leaves", "By nation", "By sector"},
    "events": {"Funnel", "All events", "Stations"},
    "data-quality": {"Checks"},
}


@pytest.mark.parametrize("name", list(REPORTS))
def test_each_report_opens_and_holds_native_charts(
    world: Database, name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / f"{name}.xlsx"
    code, result = run(
        capsys,
        "--db",
        db_arg(world),
        "report",
        name,
        str(out),
        "--from",
        "2025-01-01",
        "--to",
        "2025-12-31",
        "--json",
    )
    assert code == 0, result
    assert result["from"] == "2025-01-01" and result["to"] == "2025-12-31"
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == "Cover"
    cover = [c for row in wb["Cover"].iter_rows(values_only=True) for c in row if c]
    assert REPORTS[name] in cover
    assert any("01 January 2025 to 31 December 2025" in str(c) for c in cover)
    with_charts = {ws.title for ws in wb.worksheets if ws._charts}
    assert with_charts == CHART_SHEETS[name]
    assert result["charts"] == len(CHART_SHEETS[name])
    with zipfile.ZipFile(out) as zf:
        charts = [n for n in zf.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
        assert len(charts) == len(CHART_SHEETS[name])
        # Native charts read their numbers from the cells of the report's own sheets.
        assert all(b"<c:f>" in zf.read(n) for n in charts)
        # Nothing from the data became a formula: cells hold values only.
        for sheet in (n for n in zf.namelist() if n.startswith("xl/worksheets/sheet")):
            assert b"<f>" not in zf.read(sheet)


def test_data_is_text_never_a_formula(
    world: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "engagement.xlsx"
    code, _ = run(
        capsys,
        "--db",
        db_arg(world),
        "report",
        "engagement",
        str(out),
        "--from",
        "2025-01-01",
        "--to",
        "2025-12-31",
        "--json",
    )
    assert code == 0
    wb = openpyxl.load_workbook(out)
    parties = [row[1] for row in wb["By party"].iter_rows(min_row=2, values_only=True)]
    assert HOSTILE in parties
    names = [row[0] for row in wb["Representatives"].iter_rows(min_row=4, values_only=True)]
    assert "=1+1 Hostile" in names
    cell = next(c for row in wb["By party"].iter_rows(min_row=2) for c in row if c.value == HOSTILE)
    assert cell.data_type == "s"
    # The figures are numbers, so the charts (and anyone's sums) work on them.
    chambers = list(wb["Chambers"].iter_rows(min_row=2, values_only=True))
    assert chambers[0][:3] == ("MSPs", 6, 2)


def test_networks_report_figures(world: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "networks.xlsx"
    code, _ = run(
        capsys,
        "--db",
        db_arg(world),
        "report",
        "networks",
        str(out),
        "--from",
        "2025-01-01",
        "--to",
        "2025-03-31",
        "--json",
    )
    assert code == 0
    ws = openpyxl.load_workbook(out)["Members over time"]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    cohort = header.index("Kindness Leadership Network: cohort 1")
    assert [r[0] for r in rows[1:]] == ["Jan 2025", "Feb 2025", "Mar 2025"]
    assert [r[cohort] for r in rows[1:]] == [3, 4, 3]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "bogus", "OUT"], "no report called 'bogus'"),
        (["report", "events", "OUT", "--from", "2025-05-01", "--to", "2025-01-01"], "swap the dates"),
        (["report", "events", "OUT", "--from", "2025-13-01"], "is not a date"),
        (["report", "events", "{tmp}/missing/out.xlsx"], "does not exist"),
        (["report", "events", "{tmp}"], "it is a folder"),
        (["report", "events", "{tmp}/out.csv"], "end its name in .xlsx"),
    ],
)
def test_bad_input_is_one_json_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    argv = [a.replace("OUT", str(tmp_path / "r.xlsx")).replace("{tmp}", str(tmp_path)) for a in argv]
    if argv[-1] == str(tmp_path):
        argv[-1] = str(tmp_path / "folder.xlsx")
        (tmp_path / "folder.xlsx").mkdir()
    assert main(["--db", str(tmp_path / "k.db"), "init"]) == 0
    capsys.readouterr()
    code, result = run(capsys, "--db", str(tmp_path / "k.db"), *argv, "--json")
    assert code == 1
    assert message in str(result["error"])
    assert not list(tmp_path.glob(".*.partial"))


def test_unwritable_file_keeps_the_old_one(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A report replaces the file only once complete: a failure leaves no half-written file."""
    out = tmp_path / "locked.xlsx"
    out.write_bytes(b"old")
    blocker = tmp_path / ".locked.xlsx.partial"
    blocker.mkdir()  # XlsxWriter cannot create its file where a folder stands
    code, result = run(capsys, "--db", db_arg(db), "report", "data-quality", str(out), "--json")
    assert code == 1
    assert "Cannot write" in str(result["error"])
    assert out.read_bytes() == b"old"


def test_default_period_is_the_year_to_today(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, result = run(
        capsys,
        "--db",
        db_arg(db),
        "report",
        "events",
        str(tmp_path / "e.xlsx"),
        "--to",
        "2025-06-30",
        "--json",
    )
    assert code == 0
    assert (result["from"], result["to"]) == ("2024-07-01", "2025-06-30")
    assert D(2025, 6, 30).isoformat() == result["to"]
