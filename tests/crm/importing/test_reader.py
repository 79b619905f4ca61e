"""Reading lists safely: encodings, delimiters, sheets, header rows, and broken or hostile files."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest

from crm.errors import FileProblem
from crm.importing import list_sheets, read_table

from tests.crm.importing.conftest import HEADINGS, PEOPLE, write_csv, write_xlsx


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252", "mac_roman"])
def test_csv_encodings_keep_accents(tmp_path: Path, encoding: str) -> None:
    path = write_csv(
        tmp_path / "list.csv",
        [["Name", "Email"], ["Seán Ó Floinn", "sean@example.org"], ["Zoë Müller", ""]],
        encoding=encoding,
    )
    table = read_table(path)
    assert table.headers == ["Name", "Email"]
    assert [r[0] for _, r in table.data_rows] == ["Seán Ó Floinn", "Zoë Müller"]


def test_windows_text_with_curly_quotes_and_pounds_is_not_taken_for_mac(tmp_path: Path) -> None:
    rows = [["Name", "Notes"], ["Renée Smith", "Donated £250 – ‘thank you’"], ["“Jo” Bloggs", "Café"]]
    table = read_table(write_csv(tmp_path / "list.csv", rows, encoding="cp1252"))
    assert [r for _, r in table.data_rows] == rows[1:]


def test_byte_windows_leaves_undefined_shows_as_unreadable_character(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes("Name,Email\nRenée Lee\x81,renee@example.org\n".encode("latin-1"))
    table = read_table(path)
    assert table.data_rows[0][1][0] == "Renée Lee\ufffd"


@pytest.mark.parametrize("delimiter", [";", "\t", ",", "|"])
def test_csv_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    path = write_csv(tmp_path / "list.csv", [HEADINGS, *PEOPLE], delimiter=delimiter)
    table = read_table(path)
    assert table.delimiter == delimiter
    assert table.headers == HEADINGS
    assert len(table.data_rows) == len(PEOPLE)


def test_csv_quoted_multiline_cell_stays_one_row(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "list.csv",
        [
            ["Name", "Address", "Email"],
            ["Ada Lovelace", "1 High Street\nEdinburgh", "ada@example.org"],
            ["Bob", "", "b@example.org"],
        ],
    )
    table = read_table(path)
    assert len(table.data_rows) == 2
    assert table.data_rows[0][1][1] == "1 High Street\nEdinburgh"


def test_csv_quote_left_open_to_the_end_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "stray.csv"
    path.write_text(
        'First name,Last name,Email\nAnn,Lee,ann@example.org\nBob,"The Builder,bob@example.org\n'
        "Cat,Ng,cat@example.org\nDan,Poe,dan@example.org\n",
        encoding="utf-8",
    )
    with pytest.raises(FileProblem, match="quotation mark opened on line 3 is never closed"):
        read_table(path)


def test_csv_cell_swallowing_other_rows_is_noted_against_its_row(tmp_path: Path) -> None:
    path = tmp_path / "stray.csv"
    path.write_text(
        'First name,Last name,Email\nAnn,Lee,ann@example.org\nBob,"The Builder,bob@example.org\n'
        'Cat,Ng,cat@example.org\nDan,Poe,dan@example.org\nEve,Roe",eve@example.org\n'
        'Fay,"Flat 2, 3 High St,\nLeith, Edinburgh",fay@example.org\n',
        encoding="utf-8",
    )
    table = read_table(path)
    assert "not closed" in table.cell_problems[(3, 1)]
    assert [n for n, _ in table.data_rows] == [2, 3, 4]  # the rows stay, to be checked by the user
    assert (4, 1) not in table.cell_problems  # an address over two lines with commas is fine


def test_csv_cell_longer_than_the_csv_module_allows_is_read(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "long.csv", [["Name", "Email", "Notes"], ["Ada", "a@example.org", "x" * 200_000]]
    )
    table = read_table(path)
    assert len(table.data_rows[0][1][2]) == 200_000  # the import flags it as too long for a cell


def test_list_without_a_heading_row_keeps_its_first_person(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "names.csv",
        [["Jane Smith", "jane@example.org", "Acme"], ["John Roe", "john@example.org", "Beta"]],
    )
    table = read_table(path)
    assert table.header_row_number == 0
    assert table.headers == ["Column A", "Column B", "Column C"]
    assert [r[0] for _, r in table.data_rows] == ["Jane Smith", "John Roe"]
    assert read_table(path, header_row=1).headers[0] == "Jane Smith"  # unless the user says otherwise


def test_header_row_found_under_title_rows(tmp_path: Path) -> None:
    rows = [["Reception guest list"], ["Kindness Leadership Network, March 2026"], [], HEADINGS, *PEOPLE]
    table = read_table(write_xlsx(tmp_path / "guests.xlsx", {"Guests": rows}))
    assert table.header_row_number == 4
    assert table.headers == HEADINGS
    assert table.data_rows[0][0] == 5


def test_user_can_choose_another_header_row(tmp_path: Path) -> None:
    rows = [["Name", "Email"], ["Real name", "Real email"], ["Ada", "ada@example.org"]]
    table = read_table(write_csv(tmp_path / "list.csv", rows), header_row=2)
    assert table.headers == ["Real name", "Real email"]
    assert len(table.data_rows) == 1


def test_merged_header_cells_and_duplicate_names(tmp_path: Path) -> None:
    rows = [
        [None, None, None, None],
        ["Name", "Phone", None, "Phone"],
        ["Ada", "0131 348 5000", "07700 900123", "x"],
    ]
    path = write_xlsx(tmp_path / "merged.xlsx", {"List": rows}, merge=[("List", 1, 1, 1, 2, "Phone")])
    table = read_table(path)
    assert table.headers == ["Name", "Phone", "Phone (2)", "Phone (3)"]


def test_two_rows_of_headings_with_cells_merged_down(tmp_path: Path) -> None:
    """ "Email" and "Organisation" are merged down over both heading rows; "Name" spans
    "First" and "Last" on the second row."""
    rows = [
        ["Name", None, "Email", "Organisation"],
        ["First", "Last", None, None],
        ["Ann", "Lee", "ann@example.org", "Acme"],
        ["Bob", "Ray", "bob@example.org", "Acme"],
    ]
    path = write_xlsx(
        tmp_path / "two-rows.xlsx",
        {"List": rows},
        merge=[
            ("List", 0, 0, 0, 1, "Name"),
            ("List", 0, 2, 1, 2, "Email"),
            ("List", 0, 3, 1, 3, "Organisation"),
        ],
    )
    table = read_table(path)
    assert table.headers == ["First", "Last", "Email", "Organisation"]
    assert table.data_rows[0][1] == ["Ann", "Lee", "ann@example.org", "Acme"]


def test_two_rows_of_headings_under_a_title(tmp_path: Path) -> None:
    """The lower heading row names more fields; the upper one still names Email and Organisation."""
    rows = [
        ["Reception, 12 March 2026"],
        [],
        ["Name", None, "Email", "Organisation", "Contact details"],
        ["First", "Last", None, None, "Phone", "Mobile"],
        ["Ann", "Lee", "ann@example.org", "Acme", "0131 496 0000", "07700 900000"],
    ]
    path = write_xlsx(
        tmp_path / "two-rows.xlsx",
        {"List": rows},
        merge=[("List", 2, 0, 2, 1, "Name"), ("List", 2, 4, 2, 5, "Contact details")],
    )
    table = read_table(path)
    assert table.headers == ["First", "Last", "Email", "Organisation", "Phone", "Mobile"]
    assert len(table.data_rows) == 1


def test_cell_merged_down_beside_several_people_belongs_to_each(tmp_path: Path) -> None:
    rows = [
        ["Organisation", "First name", "Last name"],
        ["Acme Trust", "Ann", "Lee"],
        [None, "Bob", "Ray"],
        ["Beta Ltd", "Cat", "Ng"],
    ]
    path = write_xlsx(tmp_path / "merged.xlsx", {"List": rows}, merge=[("List", 1, 0, 2, 0, "Acme Trust")])
    table = read_table(path)
    assert [r[0] for _, r in table.data_rows] == ["Acme Trust", "Acme Trust", "Beta Ltd"]


def test_formula_whose_answer_is_blank_is_not_a_problem(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "formulas.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, ["Name", "Email", "Note"])
    sheet.write_row(1, 0, ["Ann Lee", "ann@example.org"])
    sheet.write_formula(1, 2, '=IF(A2="","x","")', None, "")  # saved by Excel with an empty answer
    workbook.close()
    assert read_table(path).cell_problems == {}


def test_blank_heading_gets_a_column_name(tmp_path: Path) -> None:
    table = read_table(write_csv(tmp_path / "l.csv", [["Name", "", "Email"], ["Ada", "x", "a@example.org"]]))
    assert table.headers == ["Name", "Column B", "Email"]


def test_picks_contact_sheet_skipping_hidden_and_empty(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "book.xlsx",
        {
            "Notes": [["Read me"]],
            "Empty": [],
            "Secret": [HEADINGS, *PEOPLE, *PEOPLE],
            "People": [HEADINGS, *PEOPLE],
        },
        hidden=["Secret"],
    )
    assert [(s.name, s.visible) for s in list_sheets(path)] == [
        ("Notes", True),
        ("Empty", True),
        ("Secret", False),
        ("People", True),
    ]
    table = read_table(path)
    assert table.sheet == "People"
    assert read_table(path, "secret").sheet == "Secret"  # named by the user, any case
    with pytest.raises(FileProblem, match="no sheet called 'Nope'"):
        read_table(path, "Nope")


def test_a_short_guest_list_beats_a_long_sheet_of_organisations(tmp_path: Path) -> None:
    organisations = [["Organisation", "Email", "Sector"]] + [
        [f"Charity {i}", f"info@charity{i}.org.uk", "Charity"] for i in range(40)
    ]
    path = write_xlsx(
        tmp_path / "event.xlsx",
        {"Summary": [["Guests", 4]], "Organisations": organisations, "Attendees": [HEADINGS, *PEOPLE]},
    )
    assert read_table(path).sheet == "Attendees"


def test_sheet_formatted_to_last_row_stops_at_last_data(tmp_path: Path) -> None:
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADINGS)
    for row in PEOPLE:
        ws.append(row)
    for col in range(1, 17):
        ws.cell(1_048_576, col).font = Font(bold=True)  # the dimension now says A1:P1048576
    path = tmp_path / "formatted.xlsx"
    wb.save(path)
    table = read_table(path)
    assert table.rows[-1][0] == len(PEOPLE) + 1
    assert len(table.data_rows) == len(PEOPLE)


@pytest.mark.parametrize(
    ("far_cell", "value"),
    [("XFD1048576", " "), ("BI1048576", " "), ("Z1048576", "stray note")],
)
def test_a_lone_far_cell_neither_exhausts_memory_nor_hides_the_list(
    tmp_path: Path, far_cell: str, value: str
) -> None:
    """One cell in the far corner of a sheet (a stray space, a note at the bottom) makes the
    sheet's grid enormous; the list above it is still read, and only real data counts."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Guests"
    ws.append(HEADINGS)
    for row in PEOPLE:
        ws.append(row)
    ws[far_cell] = value
    path = tmp_path / "far.xlsx"
    wb.save(path)
    table = read_table(path)
    assert table.headers[:3] == HEADINGS[:3]
    assert [r[:2] for _, r in table.data_rows[: len(PEOPLE)]] == [p[:2] for p in PEOPLE]
    if value.strip():
        assert table.data_rows[-1][0] == 1_048_576  # the note is kept, on its own row
    else:
        assert len(table.data_rows) == len(PEOPLE)  # a space alone is not data


def test_modern_workbook_saved_with_an_xls_name(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "contacts.xlsx", {"People": [HEADINGS, *PEOPLE]})
    renamed = path.rename(tmp_path / "contacts.xls")
    table = read_table(renamed)
    assert table.headers == HEADINGS
    assert len(table.data_rows) == len(PEOPLE)


def test_error_values_and_formulas_without_values_need_attention(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Name", "Email", "Town"])
    ws.append(["Ada", "=LOWER(A2)", "#N/A"])
    saved = tmp_path / "saved.xlsx"
    wb.save(saved)
    # A script's formula cell carries no <v> at all; openpyxl writes <v></v> when lxml is installed,
    # which is also how a blank answer is saved, so take the value element out to be sure.
    path = tmp_path / "formulas.xlsx"
    with zipfile.ZipFile(saved) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = data.replace(b"</f><v></v>", b"</f>").replace(b"</f><v />", b"</f>")
            dst.writestr(item, data)
    table = read_table(path)
    assert table.cell_problems[(2, 1)] == "the cell holds a formula with no saved value"
    assert table.cell_problems[(2, 2)] == "the cell shows the error #N/A"


def test_dates_come_back_as_dates(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "dates.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["Name", "Joined"])
    ws.write(1, 0, "Ada")
    ws.write_datetime(1, 1, dt.datetime(2024, 3, 4), wb.add_format({"num_format": "dd/mm/yyyy"}))
    wb.close()
    assert read_table(path).data_rows[0][1][1] == dt.date(2024, 3, 4)


def test_ods_is_read(tmp_path: Path) -> None:
    path = tmp_path / "list.ods"
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="People">'
        '<table:table-row><table:table-cell office:value-type="string"><text:p>Name</text:p></table:table-cell>'
        '<table:table-cell office:value-type="string"><text:p>Email</text:p></table:table-cell></table:table-row>'
        '<table:table-row><table:table-cell office:value-type="string"><text:p>Siân Davies</text:p></table:table-cell>'
        '<table:table-cell office:value-type="string"><text:p>sian@example.org</text:p></table:table-cell></table:table-row>'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            "mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED
        )
        zf.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
            '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>',
        )
        zf.writestr("content.xml", content)
    table = read_table(path)
    assert table.sheet == "People"
    assert table.data_rows[0][1] == ["Siân Davies", "sian@example.org"]


def test_a_csv_is_read_as_the_sheet_shows_it_and_binary_data_far_into_it_is_refused(tmp_path: Path) -> None:
    """Repeated values share one string, long cells are kept whole, trailing blanks are trimmed;
    a NUL byte past the first 64 KB (which the quick sniff does not see) still refuses the file."""
    long_note = "Met at the reception; " * 10
    lines = ["Name,Town,Notes,,"] + [f"Person {i},Perth,{long_note if i == 3 else ''},," for i in range(5000)]
    path = tmp_path / "list.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = read_table(path)
    rows = table.data_rows
    assert len(rows) == 5000 and rows[0] == (2, ["Person 0", "Perth"])
    assert rows[3][1] == ["Person 3", "Perth", long_note]
    assert all(cells[1] is rows[0][1][1] for _, cells in rows)  # one "Perth" for every row
    broken = tmp_path / "broken.csv"
    broken.write_bytes(path.read_bytes() + b"Late,Row\x00,x\n")
    assert broken.stat().st_size > 64 * 1024
    with pytest.raises(FileProblem, match="not a text \\(CSV\\) file: it holds binary data"):
        read_table(broken)


# --- Broken and hostile files -------------------------------------------------------------------


def _refused(path: Path) -> str:
    with pytest.raises(FileProblem) as info:
        read_table(path)
    message = str(info.value)
    assert path.name in message and "\n" not in message
    return message


def test_zip_bomb_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\x00" * (20 * 1024 * 1024))
    assert "zip bomb" in _refused(path)


def test_text_file_renamed_xlsx(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "really-a.xlsx", [HEADINGS, *PEOPLE])
    assert "looks like a text (CSV) file" in _refused(path)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        (
            "export.xls",
            b"<html><head><meta charset='utf-8'></head><body><table><tr><td>Name</td></tr></table></body></html>",
            "is a web page saved with a .xls name",
        ),
        (
            "export.xlsx",
            b"\n\n<table border=1><tr><th>Email</th></tr></table>",
            "is a web page saved with a .xlsx name",
        ),
        (
            "export.xls",
            b'<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>',
            "is an Excel 2003 XML spreadsheet",
        ),
        ("export.xls", "Name\tEmail\nAnn\tann@example.org\n".encode("utf-16"), "Rename it to .csv"),
    ],
)
def test_web_downloads_named_as_excel_say_what_they_are(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert reason in _refused(path)


GUESTS_XLSB = Path(__file__).parents[2] / "fixtures" / "guests.xlsb"


def test_excel_binary_workbooks_are_read_like_xlsx() -> None:
    table = read_table(GUESTS_XLSB)
    assert table.kind == "xlsb"
    assert table.sheet == "Guests"  # the list, not the summary before it
    assert table.header_row_number == 3  # under the title row
    assert table.headers[:5] == ["First name", "Last name", "Email", "Organisation", "Phone"]
    rows = [values for _, values in table.data_rows]
    assert [r[0] for r in rows] == ["Ann", "Bob", "Siân"]
    assert rows[0][5] == dt.date(2025, 3, 1)
    sheets = {s.name: s.visible for s in list_sheets(GUESTS_XLSB)}
    assert sheets == {"Summary": True, "Guests": True, "Hidden": False}
    assert read_table(GUESTS_XLSB, "summary").rows[0][1][:2] == ["Total", 3]


def test_an_xlsb_saved_with_an_xlsx_name_is_read_by_its_content(tmp_path: Path) -> None:
    renamed = tmp_path / "list.xlsx"
    renamed.write_bytes(GUESTS_XLSB.read_bytes())
    table = read_table(renamed)
    assert table.kind == "xlsb" and len(table.data_rows) == 3


def test_broken_excel_binary_workbooks_are_refused_plainly(tmp_path: Path) -> None:
    xlsb = tmp_path / "list.xlsb"
    xlsb.write_bytes(b"PK\x03\x04 not read")
    assert "corrupt" in _refused(xlsb)
    not_binary = tmp_path / "other.xlsb"
    with zipfile.ZipFile(not_binary, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
    assert "not an Excel binary workbook" in _refused(not_binary)
    # Records cut short half-way through the sheet.
    cut = tmp_path / "cut.xlsb"
    with zipfile.ZipFile(GUESTS_XLSB) as zin, zipfile.ZipFile(cut, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            zout.writestr(info, data[: len(data) // 2] if info.filename.endswith("sheet2.bin") else data)
    try:
        table = read_table(cut)
    except FileProblem as exc:
        assert cut.name in str(exc)
    else:
        assert len(table.data_rows) <= 3


def test_a_lone_cell_far_away_in_an_xlsb_is_refused_not_laid_out(tmp_path: Path) -> None:
    """calamine lays a sheet out as one grid: a cell at row 1,000,000, column 16,000 would ask for
    500 GB and end the program. It is refused with advice first."""
    import struct

    from crm.importing.reader import _records

    far = tmp_path / "far.xlsb"
    with zipfile.ZipFile(GUESTS_XLSB) as zin, zipfile.ZipFile(far, "w") as zout:
        for info in zin.infolist():
            data = bytearray(zin.read(info.filename))
            if info.filename == "xl/worksheets/sheet2.bin":
                records = list(_records(bytes(data)))
                _kind, row_at, _size = [r for r in records if r[0] == 0][-1]
                struct.pack_into("<I", data, row_at, 1_000_000)
                cell_at = next(at for kind, at, _ in records if at > row_at and 1 <= kind <= 11)
                struct.pack_into("<I", data, cell_at, 16_000)
            zout.writestr(info, bytes(data))
    message = _refused(far)
    assert "Guests" in message


def test_random_bytes_named_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "noise.xlsx"
    path.write_bytes(bytes(range(256)) * 40)
    assert "not a spreadsheet, or it is corrupt" in _refused(path)


def test_truncated_workbook_is_corrupt(tmp_path: Path, contacts_xlsx: Path) -> None:
    path = tmp_path / "cut.xlsx"
    path.write_bytes(contacts_xlsx.read_bytes()[:2000])
    assert "corrupt" in _refused(path)


def _ole(extra: bytes = b"") -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + extra + b"\x00" * 2048


def test_password_protected_workbook(tmp_path: Path) -> None:
    path = tmp_path / "locked.xlsx"
    path.write_bytes(_ole("EncryptionInfo".encode("utf-16-le") + "EncryptedPackage".encode("utf-16-le")))
    assert "password-protected" in _refused(path)


def test_old_xls_renamed_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "old.xlsx"
    path.write_bytes(_ole("Workbook".encode("utf-16-le")))
    assert "old-style Excel (.xls) workbook" in _refused(path)


def test_broken_xls(tmp_path: Path) -> None:
    path = tmp_path / "broken.xls"
    path.write_bytes(_ole("Workbook".encode("utf-16-le")))
    assert "corrupt" in _refused(path)


def test_word_document_renamed(tmp_path: Path) -> None:
    path = tmp_path / "letter.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    assert "Word document" in _refused(path)


def test_empty_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert "is empty" in _refused(empty)
    blank_book = write_xlsx(tmp_path / "blank.xlsx", {"Sheet1": []})
    assert "has no data" in _refused(blank_book)


def test_unsupported_kind_and_missing_file(tmp_path: Path) -> None:
    pdf = tmp_path / "list.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    assert ".pdf" in _refused(pdf)
    assert "does not exist" in _refused(tmp_path / "gone.csv")


def test_binary_file_named_csv(tmp_path: Path) -> None:
    path = tmp_path / "image.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10)
    assert "not a text" in _refused(path)


def test_workbook_named_csv(tmp_path: Path, contacts_xlsx: Path) -> None:
    path = tmp_path / "book.csv"
    path.write_bytes(contacts_xlsx.read_bytes())
    assert "rename it to .xlsx" in _refused(path)


def test_too_large_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from crm.importing import reader

    monkeypatch.setattr(reader, "MAX_FILE_BYTES", 100)
    path = write_csv(tmp_path / "big.csv", [HEADINGS, *PEOPLE])
    assert "too large to import" in _refused(path)


def test_sheet_with_too_many_cells_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from crm.importing import reader

    monkeypatch.setattr(reader, "MAX_CELLS", 10)
    path = write_xlsx(tmp_path / "wide.xlsx", {"People": [HEADINGS, *PEOPLE]})
    assert "too large to import" in _refused(path)
