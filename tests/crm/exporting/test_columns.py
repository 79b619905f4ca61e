"""Salutations, addressee lines and column presets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crm.db import Database
from crm.errors import ValidationError
from crm.exporting import export_people
from crm.exporting.columns import (
    MAIL_MERGE,
    NameParts,
    addressee,
    all_presets,
    formal_salutation,
    informal_salutation,
    joint_addressee,
    joint_formal,
    joint_informal,
    preset_columns,
    presets_path,
    save_preset,
)
from crm.filters import PersonFilter

from .conftest import Cast, read_sheet


@pytest.mark.parametrize(
    ("title", "first", "preferred", "last", "informal", "formal"),
    [
        ("Ms", "Claudia", None, "Beamish", "Dear Claudia", "Dear Ms Beamish"),
        ("Dr", "Robert", "Bob", "Smith", "Dear Bob", "Dear Dr Smith"),
        (None, "Siân", None, "Lloyd", "Dear Siân", "Dear Siân Lloyd"),
        ("Sir", "Alan", None, "Jones", "Dear Alan", "Dear Sir Alan"),
        ("Dame", "Ann", None, "Reid", "Dear Ann", "Dear Dame Ann"),
        ("Cllr", None, None, "Ó Floinn", "Dear Ó Floinn", "Dear Cllr Ó Floinn"),
        (None, None, None, None, "Dear colleague", "Dear colleague"),
    ],
)
def test_salutations(
    title: str | None, first: str | None, preferred: str | None, last: str | None, informal: str, formal: str
) -> None:
    assert informal_salutation(first, preferred, last) == informal
    assert formal_salutation(title, first, last) == formal


def test_addressee_has_post_nominals() -> None:
    assert addressee("Ms", "Claudia", "Beamish", "MSP") == "Ms Claudia Beamish MSP"
    assert addressee(None, "Mark", "Drakeford", "MS") == "Mark Drakeford MS"


def test_joint_salutations() -> None:
    ann = NameParts("Ms", "Ann", None, "Smith", None)
    bob = NameParts("Mr", "Robert", "Bob", "Smith", "OBE")
    cat = NameParts("Dr", "Cat", None, "Jones", None)
    assert joint_informal([ann, bob]) == "Dear Ann and Bob"
    assert joint_formal([ann, bob]) == "Dear Ms and Mr Smith"
    assert joint_formal([ann, cat]) == "Dear Ms Smith and Dr Jones"
    assert joint_informal([ann, bob, cat]) == "Dear Ann, Bob and Cat"
    assert joint_addressee([ann, bob]) == "Ms Ann Smith and Mr Robert Smith OBE"


def test_built_in_presets() -> None:
    assert preset_columns("mail-merge") == list(MAIL_MERGE)
    assert preset_columns("Mail merge") == list(MAIL_MERGE)
    assert preset_columns("email") == ["full_name", "email"]
    assert "notes" in preset_columns("full")
    with pytest.raises(ValidationError, match="no export preset"):
        preset_columns("nonsense")


def test_saved_preset_is_kept_in_the_data_folder_and_usable(db: Database, cast: Cast, tmp_path: Path) -> None:
    path = save_preset("Invitations", ["salutation_informal", "email", "organisation"])
    assert path == presets_path()
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "Invitations": ["salutation_informal", "email", "organisation"]
    }
    assert all_presets()["Invitations"] == ["salutation_informal", "email", "organisation"]
    out = tmp_path / "inv.xlsx"
    export_people(db, PersonFilter(network="Kindness Champions"), out, preset="invitations")
    assert list(read_sheet(out)[0]) == ["Informal salutation", "Email", "Organisation"]
    save_preset("invitations", ["email"])  # replaces, whatever the case
    assert all_presets()["invitations"] == ["email"]
    assert "Invitations" not in all_presets()


def test_presets_cannot_shadow_built_ins_or_hold_unknown_columns() -> None:
    with pytest.raises(ValidationError, match="built-in"):
        save_preset("Mail merge", ["email"])
    with pytest.raises(ValidationError, match="no export column"):
        save_preset("Mine", ["email", "shoe_size"])
    with pytest.raises(ValidationError, match="at least one column"):
        save_preset("Mine", [])


def test_a_damaged_presets_file_does_not_stop_exports() -> None:
    presets_path().parent.mkdir(parents=True, exist_ok=True)
    presets_path().write_text("{not json", encoding="utf-8")
    assert set(all_presets()) == {"mail-merge", "email", "full"}


def test_the_fast_per_row_path_agrees_with_the_salutation_functions() -> None:
    from itertools import product

    from crm.exporting.columns import compose_names, full_name

    for title, first, preferred, last, post in product(
        (None, "Ms", "Sir", "dame"), (None, "Ann"), (None, "Annie"), (None, "Reid"), (None, "MSP")
    ):
        assert compose_names(title, first, preferred, last, post) == (
            full_name(first, last),
            informal_salutation(first, preferred, last),
            formal_salutation(title, first, last),
            addressee(title, first, last, post),
        ), (title, first, preferred, last, post)


def test_address_block_is_set_out_as_royal_mail_advises() -> None:
    from crm.exporting.columns import address_block

    block = address_block(
        "Ms Ann Lee", "Kindness Trust", ("2 Mill Lane", "", None), "Bristol", "BS1 4DJ", "United Kingdom"
    )
    assert block == "Ms Ann Lee\nKindness Trust\n2 Mill Lane\nBristol\nBS1 4DJ"  # no home country
    abroad = address_block("Dr Jo Roe", None, ("Rue de la Loi 16",), "Brussels", "1000", "Belgium")
    assert abroad.splitlines() == ["Dr Jo Roe", "Rue de la Loi 16", "Brussels", "1000", "BELGIUM"]
    # An organisation already written as the first line is not repeated; no address, no block.
    same = address_block(
        "Ms A", "The Scottish Parliament", ("The Scottish Parliament",), "Edinburgh", "EH99 1SP", "Scotland"
    )
    assert same.splitlines() == ["Ms A", "The Scottish Parliament", "Edinburgh", "EH99 1SP"]
    assert address_block("Mr B", "Acme", (None, None, None), None, None, "United Kingdom") == ""
