"""Lists honour preferences by default: each preset applies its channel's rules; ignoring them is a
deliberate, recorded choice; every export is logged with who was on it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from crm.cli import main
from crm.db import Database
from crm.errors import ValidationError
from crm.exporting import ExportOptions, export_people
from crm.exporting.engine import count_export, default_channel
from crm.filters import PersonFilter
from crm.models import AuditEntry, ExportLog, ExportPerson

from .conftest import Cast, excluded_reasons, read_sheet


def test_presets_choose_their_channel() -> None:
    assert default_channel("mail-merge") == "post"
    assert default_channel("Email list") == "email"
    assert default_channel("full") is None
    assert default_channel("My letters", ["full_name", "address_line1", "postcode"]) == "post"
    assert default_channel("My list", ["full_name", "email"]) == "email"


def test_mail_merge_applies_post_rules_by_default(db: Database, cast: Cast, tmp_path: Path) -> None:
    out = tmp_path / "letters.xlsx"
    result = export_people(db, PersonFilter(), out)
    reasons = excluded_reasons(out)
    assert reasons["Pia Olsen"] == "Opted out of post"
    assert reasons["Ned Adams"] == "No usable postal address"
    assert reasons["Dora Noble"] == "Do not contact"
    assert reasons["Sam Back"].startswith("On the suppression list")
    names = {r["Full name"] for r in read_sheet(out)}
    assert "Eric Owen" in names  # opted out of email, not of post
    assert result.exported == len(read_sheet(out)) and result.excluded == len(reasons)


def test_email_preset_applies_email_rules_by_default(db: Database, cast: Cast, tmp_path: Path) -> None:
    out = tmp_path / "emails.xlsx"
    export_people(db, PersonFilter(), out, preset="email")
    reasons = excluded_reasons(out)
    assert reasons["Eric Owen"] == "Opted out of email"
    assert reasons["Nell Evans"] == "No email address"
    assert "Pia Olsen" in {r["Full name"] for r in read_sheet(out)}


def test_ignoring_channel_rules_needs_a_reason_and_is_recorded(
    db: Database, cast: Cast, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError, match="Say why"):
        export_people(db, PersonFilter(), tmp_path / "x.xlsx", ignore_channel_rules="  ")
    assert not (tmp_path / "x.xlsx").exists()
    out = tmp_path / "badges.xlsx"
    result = export_people(db, PersonFilter(), out, ignore_channel_rules="Name badges for the reception")
    names = {r["Full name"] for r in read_sheet(out)}
    assert {"Pia Olsen", "Ned Adams", "Eric Owen"} <= names
    # Objections still apply whatever the reason.
    assert excluded_reasons(out)["Dora Noble"] == "Do not contact"
    with db.session() as s:
        log = s.scalars(select(ExportLog)).one()
        assert (log.file_name, log.exported, log.excluded, log.channel) == (
            "badges.xlsx",
            result.exported,
            result.excluded,
            None,
        )
        assert log.rules_ignored_reason == "Name badges for the reception" and log.user
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "export")).one()
        assert entry.new_value == "badges.xlsx"
        assert "channel rules ignored because: Name badges for the reception" in (entry.details or "")
        on_list = set(s.scalars(select(ExportPerson.person_id).where(ExportPerson.included.is_(True))))
        left_out = set(s.scalars(select(ExportPerson.person_id).where(ExportPerson.included.is_(False))))
    assert cast.post_out in on_list and cast.dnc in left_out


@pytest.mark.parametrize(
    "options",
    [
        ExportOptions(purpose="post"),
        ExportOptions(purpose="post", joint_salutation=True),
        ExportOptions(purpose="email"),
        ExportOptions(purpose=None),
    ],
)
def test_the_preview_count_is_the_exported_count(
    db: Database, cast: Cast, tmp_path: Path, options: ExportOptions
) -> None:
    with db.session() as s:
        counted = count_export(s, PersonFilter(), options)
    result = export_people(
        db,
        PersonFilter(),
        tmp_path / "out.xlsx",
        purpose=options.purpose,
        joint_salutation=options.joint_salutation,
        ignore_channel_rules=None if options.purpose else "Checking every record",
    )
    assert (counted.rows, counted.people, counted.excluded) == (
        result.exported,
        result.people,
        result.excluded,
    )


def test_cli_export_defaults_and_ignoring_rules(
    db: Database, cast: Cast, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = str(db.path) if db.path else db.url.render_as_string(hide_password=False)

    def run(*argv: str) -> tuple[int, dict[str, object]]:
        code = main(["--db", url, "export", *argv, "--json"])
        return code, json.loads(capsys.readouterr().out.strip().splitlines()[-1])

    code, default = run(str(tmp_path / "a.xlsx"))
    assert code == 0 and default["excluded_reasons"]["Opted out of post"] == 1  # type: ignore[index]
    code, ignored = run(str(tmp_path / "b.xlsx"), "--ignore-channel-rules", "Reception name badges")
    assert code == 0 and "Opted out of post" not in ignored["excluded_reasons"]  # type: ignore[operator]
    assert ignored["exported"] > default["exported"]  # type: ignore[operator]
    code, error = run(str(tmp_path / "c.xlsx"), "--ignore-channel-rules", " ")
    assert code == 1 and "Say why" in str(error["error"])
