"""A filter naming an event, station, network or tag Kindred does not hold says so, not "0 people"."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from crm.cli import main
from crm.db import Database
from crm.filter_names import UnknownNameError, check_names
from crm.filters import PersonFilter, count_people
from crm.models import Event, Tag
from crm.services import cohorts, event_parts, events, networks, organisations, people, tags, views

D = dt.date


def _world(session: Session) -> None:
    org = organisations.create_organisation(session, name="Carnegie UK", sector="Charity")
    ids = [
        people.create_person(session, first_name=n, last_name="Guest", organisation_id=org.id).id
        for n in ("Ada", "Bea")
    ]
    reception = events.create_event(session, "Parliament reception", starts_on=D(2026, 9, 1)).id
    events.create_event(session, "Autumn workshop", starts_on=D(2026, 10, 1))
    events.set_attendance(session, reception, ids, "attended")
    food = event_parts.add_part(session, reception, "Food poverty")
    event_parts.place_people(session, food.id, ids)
    kln = networks.create_network(session, "Kindness Leadership Network")
    cohorts.create_cohort(session, kln.id, "KLN 2025–26")
    cohorts.create_group(session, kln.id, "Procurement")
    networks.add_members(session, kln.id, ids)
    tags.tag_people(session, ids, "Reception 2026")


@pytest.fixture
def world(db: Database) -> Database:
    with db.transaction() as session:
        _world(session)
    return db


@pytest.mark.parametrize(
    ("f", "message"),
    [
        (
            PersonFilter(event="Reception"),
            "No event called “Reception”. Did you mean “Parliament reception”?",
        ),
        (
            PersonFilter(station="NOPE"),
            "No station, workshop or breakout room called “NOPE”. Known stations: “Food poverty”.",
        ),
        (
            PersonFilter(event="Autumn workshop", station="Food poverty"),
            "No station, workshop or breakout room called “Food poverty” at “Autumn workshop”. "
            "There are no stations yet.",
        ),
        (PersonFilter(network="KLN"), "Did you mean “Kindness Leadership Network”?"),
        (
            PersonFilter(network="Kindness Leadership Network", network_cohort="KLN 2019"),
            "No cohort called “KLN 2019” in “Kindness Leadership Network”.",
        ),
        (PersonFilter(network="Kindness Leadership Network", network_group="Procurment"), "“Procurement”"),
        (PersonFilter(tags=["Reception 2026", "recepton"]), "No tag called “recepton”."),
        (PersonFilter(organisation="Carnegie"), "Did you mean “Carnegie UK”?"),
        (PersonFilter(sector="Charities"), "No sector called “Charities”."),
        (PersonFilter(types=["msps"]), "No stakeholder type called “msps”."),
        (PersonFilter(network_status="gone"), "No membership status called “gone”."),
        (PersonFilter(party="Labour"), "No party called “Labour”. There are no parties yet."),
        (PersonFilter(chamber="Stormont Assembly"), "No chamber called “Stormont Assembly”."),
    ],
)
def test_an_unknown_name_is_an_error_naming_close_names(
    world: Database, f: PersonFilter, message: str
) -> None:
    with world.session() as session, pytest.raises(UnknownNameError) as caught:
        check_names(session, f)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_known_names_pass_as_the_filter_compares_them(world: Database) -> None:
    f = PersonFilter(
        event="parliament RECEPTION",
        station="food poverty",
        network="kindness leadership network",
        network_cohort="KLN 2025-26",  # a hyphen for the en dash
        network_group="procurement",
        tags=["reception 2026"],
        organisation="carnegie uk",
        sector="charity",
        types=["MSP"],
        network_status="Active",
        chamber="Holyrood",  # understood, though nobody sits there yet
        nation="scotland",
    )
    with world.session() as session:
        check_names(session, f)
        assert count_people(session, PersonFilter(event="parliament RECEPTION", station="food poverty")) == 2


def test_a_trashed_event_is_not_a_known_name(world: Database) -> None:
    with world.transaction() as session:
        event_id = session.query(Event.id).filter(Event.name == "Parliament reception").scalar()
        events.trash_events(session, [event_id])
    with world.session() as session, pytest.raises(UnknownNameError, match="No event called"):
        check_names(session, PersonFilter(event="Parliament reception"))


def test_a_saved_view_whose_tag_has_gone_says_so(world: Database) -> None:
    with world.transaction() as session:
        views.save_view(session, "Reception guests", PersonFilter(tags=["Reception 2026"]))
    with world.session() as session:
        assert count_people(session, views.view_filter(session, "Reception guests")) == 2
    with world.transaction() as session:
        # Renamed since the view was saved.
        tag = session.query(Tag).filter(Tag.name == "Reception 2026").one()
        tag.name = "Parliament reception 2026"
    with world.session() as session, pytest.raises(UnknownNameError) as caught:
        views.view_filter(session, "Reception guests")
    assert str(caught.value) == (
        "The saved view “Reception guests” names something Kindred no longer holds. "
        "No tag called “Reception 2026”. Did you mean “Parliament reception 2026”?"
    )


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    code = main(list(argv))
    out = capsys.readouterr().out.strip().splitlines()
    return code, json.loads(out[-1])


@pytest.mark.parametrize(
    ("command", "options", "error"),
    [
        ("count", ["--station", "NOPE"], "No station, workshop or breakout room called “NOPE”."),
        (
            "count",
            ["--event", "Reception"],
            "No event called “Reception”. Did you mean “Parliament reception”?",
        ),
        ("export", ["--tag", "recepton"], "No tag called “recepton”. Did you mean “Reception 2026”?"),
        ("export", ["--network", "KLN"], "No network called “KLN”."),
        ("letters", ["--organisation", "Carnegy UK"], "Did you mean “Carnegie UK”?"),
    ],
)
def test_every_command_that_selects_people_refuses_an_unknown_name(
    world: Database,
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
    options: list[str],
    error: str,
) -> None:
    out = tmp_path / "out.xlsx"
    argv = {
        "count": ["count"],
        "export": ["export", str(out)],
        "letters": ["letters", "-", str(tmp_path / "labels.docx"), "--labels", "L7160"],
    }[command]
    code, result = _cli(capsys, "--db", db_url, *argv, *options, "--json")
    assert code == 1
    assert set(result) == {"error"}
    assert error in str(result["error"])
    assert not out.exists() and not (tmp_path / "labels.docx").exists()


def test_the_cli_still_counts_known_names(
    world: Database, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, result = _cli(
        capsys,
        "--db",
        db_url,
        "count",
        "--event",
        "Parliament reception",
        "--station",
        "Food poverty",
        "--json",
    )
    assert (code, result) == (0, {"count": 2})
    with world.transaction() as session:
        views.save_view(session, "KLN", PersonFilter(network="Kindness Leadership Network"))
    assert _cli(capsys, "--db", db_url, "count", "--view", "kln", "--json") == (0, {"count": 2})
