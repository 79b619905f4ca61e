"""Letters and labels: the team's templates filled for a list, with the export's post rules."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm.correspondence.batches import undo_batch
from crm.correspondence.fields import available_names
from crm.correspondence.letters import make_labels, make_letters
from crm.correspondence.templates import TemplateProblem, UnknownFields, load_template
from crm.db import Database
from crm.errors import ConflictError, FileProblem, ValidationError
from crm.exporting import export_people
from crm.filters import PersonFilter
from crm.models import AuditEntry, CorrespondenceBatch, Interaction, InteractionPerson, Person
from crm.services import people, roles

from ..exporting.conftest import Cast, build_cast, excluded_reasons, read_sheet
from .factories import (
    complex_field,
    docx_text,
    letter_template,
    plain_document,
    template_with,
)


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


def _document_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        return "".join(
            zf.read(n).decode("utf-8") for n in zf.namelist() if n.startswith("word/") and n.endswith(".xml")
        )


def test_letters_fill_body_header_and_table_fields(db: Database, cast: Cast, tmp_path: Path) -> None:
    with db.transaction() as s:
        roles.add_role(
            s, cast.claudia, chamber="Scottish Parliament", party="Scottish Labour", region="South Scotland"
        )
    template = letter_template(tmp_path / "Autumn letter.docx")
    out = tmp_path / "letters.docx"
    result = make_letters(db, template, out, PersonFilter(ids=[cast.claudia, cast.no_email]))
    assert result.letters == 2 and result.excluded == 0
    text = docx_text(out)
    assert "Ms Claudia Beamish MSP\nThe Scottish Parliament\nEdinburgh\nEH99 1SP" in text  # no UK line
    assert "Dear Ms Beamish," in text
    assert "Dear Nell Evans," in text
    assert f"Our ref: K{cast.claudia}" in text  # a field in the header, per letter
    assert f"Our ref: K{cast.no_email}" in text
    assert "South Scotland" in text  # Constituency (region of a list MSP) in a table cell
    assert f"{dt.date.today():%B %Y}" in text
    xml = _document_xml(out)
    assert "MERGEFIELD" not in xml and "«" not in xml
    assert xml.count("<w:sectPr") >= 2  # a section (page) per letter


def test_letters_leave_out_exactly_whom_the_mail_merge_export_leaves_out(
    db: Database, cast: Cast, tmp_path: Path
) -> None:
    template = template_with(tmp_path / "t.docx", ["Addressee", "Address_line_1", "Postcode"])
    result = make_letters(db, template, tmp_path / "out.docx", PersonFilter())
    sheet = tmp_path / "merge.xlsx"
    export = export_people(db, PersonFilter(), sheet, preset="mail-merge", purpose="post")
    assert result.letters == export.exported
    assert result.excluded == export.excluded
    exported = {r["Addressee"] for r in read_sheet(sheet)}
    text = docx_text(tmp_path / "out.docx")
    assert all(name in text for name in exported)
    reasons = {x.name: x.reason for x in result.left_out}
    sheet_reasons = excluded_reasons(sheet)
    assert set(reasons) == set(sheet_reasons)
    assert reasons["Pia Olsen"] == "Opted out of post" == sheet_reasons["Pia Olsen"]
    assert reasons["Dora Noble"] == "Do not contact"
    assert reasons["Ned Adams"] == "No usable postal address"
    assert reasons["Tess Trask"] == "In the Trash"
    assert reasons["Sam Back"].startswith("On the suppression list")
    assert "Pia Olsen" not in text and "Dora Noble" not in text


def test_each_letter_is_logged_and_the_batch_undone(db: Database, cast: Cast, tmp_path: Path) -> None:
    template = template_with(tmp_path / "Thank you.docx", ["Informal_salutation"])
    result = make_letters(db, template, tmp_path / "out.docx", PersonFilter(ids=[cast.claudia, cast.james]))
    assert result.batch_id is not None
    with db.session() as s:
        rows = s.execute(
            select(Interaction.subject, Interaction.kind, Interaction.direction, InteractionPerson.person_id)
            .join(InteractionPerson)
            .where(Interaction.correspondence_batch_id == result.batch_id)
        ).all()
        assert sorted(r.person_id for r in rows) == sorted([cast.claudia, cast.james])
        assert {(r.subject, r.kind, r.direction) for r in rows} == {("Letter: Thank you", "letter", "out")}
        assert s.get(Person, cast.claudia).last_contacted == dt.date.today()  # type: ignore[union-attr]
        assert s.scalar(select(func.count()).where(AuditEntry.entity == "interaction")) >= 2
    with db.transaction() as s:
        undone = undo_batch(s, result.batch_id)
    assert undone.removed == 2
    with db.session() as s:
        live = s.scalar(
            select(func.count())
            .select_from(Interaction)
            .where(Interaction.correspondence_batch_id == result.batch_id, Interaction.deleted_at.is_(None))
        )
        assert live == 0
        # The contact dates the letters moved forward are back where they were.
        assert s.get(Person, cast.claudia).last_contacted == dt.date(2026, 3, 1)  # type: ignore[union-attr]
        assert s.get(Person, cast.james).last_contacted is None  # type: ignore[union-attr]
        assert s.get(CorrespondenceBatch, result.batch_id).undone_at is not None  # type: ignore[union-attr]
    with db.transaction() as s, pytest.raises(ConflictError):
        undo_batch(s, result.batch_id)


def test_no_log_logs_nothing(db: Database, cast: Cast, tmp_path: Path) -> None:
    template = template_with(tmp_path / "t.docx", ["Addressee"])
    result = make_letters(db, template, tmp_path / "o.docx", PersonFilter(ids=[cast.claudia]), log=False)
    assert result.batch_id is None
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Interaction)) == 0


def test_one_file_per_person_in_a_folder(db: Database, cast: Cast, tmp_path: Path) -> None:
    template = template_with(tmp_path / "t.docx", ["Addressee", "Formal_salutation"], complex_form=True)
    folder = tmp_path / "letters"
    result = make_letters(
        db, template, folder, PersonFilter(ids=[cast.claudia, cast.james]), one_file_each=True
    )
    files = sorted(folder.iterdir())
    assert [f.name for f in files] == ["0001 Ms Claudia Beamish MSP.docx", "0002 Mr James Smith.docx"]
    assert result.files == [folder / f.name for f in files]
    assert "Dear Mr Smith" in docx_text(files[1])


def test_household_letters_share_a_joint_salutation(db: Database, cast: Cast, tmp_path: Path) -> None:
    template = template_with(tmp_path / "t.docx", ["Formal_salutation"])
    result = make_letters(
        db, template, tmp_path / "o.docx", PersonFilter(ids=[cast.james, cast.anna]), joint=True
    )
    assert result.letters == 1 and result.people == 2
    assert "Dear Ms and Mr Smith" in docx_text(tmp_path / "o.docx") or "Dear Mr and Ms Smith" in docx_text(
        tmp_path / "o.docx"
    )
    with db.session() as s:
        linked = s.scalars(select(InteractionPerson.person_id)).all()
    assert sorted(linked) == sorted([cast.james, cast.anna])


def test_data_never_becomes_a_field_code(db: Database, tmp_path: Path) -> None:
    hostile = '{ INCLUDETEXT "C:\\\\secret.txt" } { MERGEFIELD Email } =cmd|calc'
    with db.transaction() as s:
        pid = people.create_person(
            s,
            first_name="Evil",
            last_name=hostile,
            address_line1="1 Field Road\x13 DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe \x14",
            postcode="EH1 1AA",
        ).id
    template = letter_template(tmp_path / "t.docx")
    out = tmp_path / "o.docx"
    make_letters(db, template, out, PersonFilter(ids=[pid]))
    xml = _document_xml(out)
    assert "INCLUDETEXT" in xml  # as text …
    assert (
        "<w:instrText" not in xml and "<w:fldSimple" not in xml and "<w:fldChar" not in xml
    )  # … never as a field
    assert "\x13" not in xml and "\x14" not in xml
    assert "{ INCLUDETEXT" in docx_text(out)


@pytest.mark.parametrize("field", ["Adressee", "Favourite_colour"])
def test_unknown_field_lists_the_names_available(tmp_path: Path, field: str) -> None:
    template = template_with(tmp_path / "t.docx", ["Addressee", field])
    with pytest.raises(UnknownFields) as caught:
        load_template(template)
    message = str(caught.value)
    assert field in message and "Informal_salutation" in message and "Address_block" in message
    assert caught.value.unknown == [field]
    assert all(name in message for name in available_names())


def test_field_names_match_as_word_writes_them(tmp_path: Path) -> None:
    template = template_with(
        tmp_path / "t.docx", ["ADDRESS_LINE_1", "Postnominals", "Kindred_ID", "address_block"]
    )
    loaded = load_template(template)
    assert {spec.name for spec in loaded.fields.values()} == {
        "Address_line_1",
        "Post-nominals",
        "Kindred_ID",
        "Address_block",
    }


def test_refusals_say_why(tmp_path: Path) -> None:
    no_fields = plain_document(tmp_path / "plain.docx")
    with pytest.raises(TemplateProblem, match="holds no merge fields"):
        load_template(no_fields)
    protected = tmp_path / "protected.docx"
    protected.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2048
    )  # what Word saves with a password
    with pytest.raises(TemplateProblem, match="password-protected"):
        load_template(protected)
    sheet = tmp_path / "list.docx"
    with zipfile.ZipFile(sheet, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(TemplateProblem, match="not a Word document"):
        load_template(sheet)
    text = tmp_path / "notes.docx"
    text.write_text("Dear «Addressee»")
    with pytest.raises(TemplateProblem, match="not a Word document"):
        load_template(text)
    with pytest.raises(TemplateProblem, match="macros"):
        load_template(tmp_path / "letter.docm")
    with pytest.raises(FileProblem, match="There is no file"):
        load_template(tmp_path / "missing.docx")


def test_damaged_and_hostile_templates_are_refused(tmp_path: Path) -> None:
    good = template_with(tmp_path / "good.docx", ["Addressee"])
    data = bytearray(good.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 400] = b"\xff" * 400
    damaged = tmp_path / "damaged.docx"
    damaged.write_bytes(bytes(data))
    with pytest.raises(TemplateProblem):
        load_template(damaged)
    with zipfile.ZipFile(good) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    bomb = tmp_path / "entities.docx"
    with zipfile.ZipFile(bomb, "w") as zf:
        for name, content in parts.items():
            if name == "word/document.xml":
                content = (
                    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + content.split(b"?>", 1)[1]
                )
            zf.writestr(name, content)
    with pytest.raises(TemplateProblem, match="entities"):
        load_template(bomb)
    macro = tmp_path / "macro.docx"
    with zipfile.ZipFile(macro, "w") as zf:
        for name, content in parts.items():
            zf.writestr(name, content)
        zf.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0")
    with pytest.raises(TemplateProblem, match="macros"):
        load_template(macro)


def test_merge_field_inside_another_field_is_refused(tmp_path: Path) -> None:
    from docx import Document
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    doc = Document()
    p = doc.add_paragraph()

    def run(child: object) -> None:
        r = OxmlElement("w:r")
        r.append(child)
        p._p.append(r)

    def char(kind: str) -> object:
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        return el

    def code(text: str) -> object:
        el = OxmlElement("w:instrText")
        el.set(qn("xml:space"), "preserve")
        el.text = text
        return el

    run(char("begin"))
    run(code(" HYPERLINK "))
    complex_field(p, "Email")
    run(char("separate"))
    run(char("end"))
    path = tmp_path / "nested.docx"
    doc.save(path)
    with pytest.raises(TemplateProblem, match="inside another Word field"):
        load_template(path)


def test_nobody_to_write_to_is_a_clear_error(db: Database, cast: Cast, tmp_path: Path) -> None:
    template = template_with(tmp_path / "t.docx", ["Addressee"])
    with pytest.raises(ValidationError, match="Opted out of post"):
        make_letters(db, template, tmp_path / "o.docx", PersonFilter(ids=[cast.post_out]))
    assert not (tmp_path / "o.docx").exists()


@pytest.mark.parametrize(("code", "per_page", "across"), [("L7160", 21, 3), ("L7163", 14, 2)])
def test_labels_on_a4_sheets(
    db: Database, cast: Cast, tmp_path: Path, code: str, per_page: int, across: int
) -> None:
    from docx import Document
    from docx.shared import Mm

    with db.transaction() as s:
        extra = [
            people.create_person(
                s, first_name=f"P{i}", last_name="Label", address_line1=f"{i} Label Road", postcode="EH1 1AA"
            ).id
            for i in range(30)
        ]
    out = tmp_path / "labels.docx"
    result = make_labels(db, out, PersonFilter(ids=[cast.claudia, cast.post_out, *extra]), sheet_code=code)
    assert result.letters == 31 and result.excluded == 1 and result.batch_id is None
    doc = Document(str(out))
    section = doc.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(1) and abs(section.page_height - Mm(297)) < Mm(1)
    table = doc.tables[0]
    assert len(table.columns) == across * 2 - 1
    filled = [c.text for row in table.rows for i, c in enumerate(row.cells) if i % 2 == 0 and c.text]
    assert len(filled) == 31
    assert filled[0].startswith("Ms Claudia Beamish MSP\nThe Scottish Parliament") or any(
        f.startswith("Ms Claudia Beamish MSP") for f in filled
    )
    assert abs(table.rows[0].height - Mm(38.1)) < Mm(0.2)
    assert len(table.rows) == -(-31 // across)
    assert per_page == across * 7


def test_labels_from_a_label_template_drop_empty_lines(db: Database, cast: Cast, tmp_path: Path) -> None:
    template = template_with(
        tmp_path / "label.docx", ["Addressee", "Job_title", "Address_line_1", "Postcode"]
    )
    out = tmp_path / "labels.docx"
    make_labels(db, out, PersonFilter(ids=[cast.james]), sheet_code="L7163", template_path=template)
    text = docx_text(out)
    assert "Mr James Smith\n1 High Street\nLS1 1AA" in text  # no blank line for the missing job title


def test_a_letters_address_block_is_the_exports_address_block() -> None:
    """One way to set out an address: a letter and a merge from an exported list agree."""
    from crm.correspondence.fields import address_block
    from crm.exporting.columns import address_block as export_block

    cases = [
        ("Ms Ann Lee", "Fife Council", ("Fife House", "North Street", None), "Glenrothes", "KY7 5LT", "UK"),
        ("Mr Bo Ray", "NHS Fife", ("NHS Fife", "Hayfield House", ""), "Kirkcaldy", "KY2 5AH", None),
        ("Dr Eva Lund", None, ("Storgatan 1", None, None), "Malmö", "211 34", "Sweden"),
        ("Cllr Joe Bloggs", "Nowhere Ltd", (None, None, None), None, None, None),
    ]
    for addressee, org, lines, town, postcode, country in cases:
        values = {
            "addressee": addressee,
            "organisation": org,
            "address_line1": lines[0],
            "address_line2": lines[1],
            "address_line3": lines[2],
            "town": town,
            "postcode": postcode,
            "country": country,
        }
        assert address_block(values) == export_block(addressee, org, lines, town, postcode, country)
