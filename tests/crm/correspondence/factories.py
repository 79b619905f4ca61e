"""Real test files: Word templates with merge fields, saved emails (.eml) and Outlook messages (.msg).

Templates are built with python-docx and the two forms Word writes a merge field in: the simple
form (``w:fldSimple``) and the complex form (``w:fldChar`` begin/separate/end runs with
``w:instrText``). Outlook messages are real OLE compound files written with extract-msg's own OLE
writer, laid out as [MS-OXMSG] describes (property streams, recipients, the name-id storage).
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any


def _docx() -> Any:
    from docx import Document

    return Document()


def simple_field(paragraph: Any, name: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), f" MERGEFIELD {name} \\* MERGEFORMAT ")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = f"«{name}»"
    run.append(text)
    fld.append(run)
    paragraph._p.append(fld)


def complex_field(paragraph: Any, name: str, instr: str | None = None) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def run(child: Any) -> None:
        r = OxmlElement("w:r")
        r.append(child)
        paragraph._p.append(r)

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run(begin)
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = instr or f' MERGEFIELD "{name}" '
    run(code)
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run(separate)
    shown = OxmlElement("w:t")
    shown.text = f"«{name}»"
    run(shown)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run(end)


def letter_template(path: Path) -> Path:
    """A letter as the team writes one: fields in the header, body, a table, both field forms."""
    doc = _docx()
    header = doc.sections[0].header.paragraphs[0]
    header.add_run("Our ref: K")
    simple_field(header, "Kindred_ID")
    complex_field(doc.add_paragraph(), "Address_block")
    p = doc.add_paragraph()
    simple_field(p, "Formal_salutation")
    p.add_run(",")
    doc.add_paragraph("Thank you for your support for kindness in public policy.")
    table = doc.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Organisation"
    complex_field(table.cell(0, 1).paragraphs[0], "Organisation")
    table.cell(1, 0).text = "Constituency"
    simple_field(table.cell(1, 1).paragraphs[0], "Constituency")
    p = doc.add_paragraph("Yours sincerely, on ")
    simple_field(p, "Letter_date")
    doc.save(path)
    return path


def template_with(path: Path, names: Sequence[str], *, complex_form: bool = False) -> Path:
    doc = _docx()
    for name in names:
        (complex_field if complex_form else simple_field)(doc.add_paragraph(), name)
    doc.save(path)
    return path


def plain_document(path: Path, text: str = "No fields here.") -> Path:
    doc = _docx()
    doc.add_paragraph(text)
    doc.save(path)
    return path


def docx_text(path: Path) -> str:
    """All the text of a .docx: body paragraphs, tables, headers; pages separated by sections."""
    from docx import Document

    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    for section in doc.sections:
        parts.extend(p.text for p in section.header.paragraphs)
    return "\n".join(parts)


def eml(
    path: Path,
    *,
    subject: str = "Kindness in policy",
    sender: str = "Ann Example <ann@example.org>",
    to: str = "Bob Example <bob@example.org>",
    cc: str | None = None,
    body: str = "Hello,\nthank you for meeting us.",
    html: str | None = None,
    message_id: str | None = "<m1@example.org>",
    date: dt.datetime | None = None,
) -> Path:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    if message_id:
        msg["Message-ID"] = message_id
    msg["Date"] = format_datetime(date or dt.datetime(2026, 11, 3, 10, 30, tzinfo=dt.UTC))
    if html is not None and not body:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(body)
        if html is not None:
            msg.add_alternative(html, subtype="html")
    msg.add_attachment(b"%PDF-1.4 secret", maintype="application", subtype="pdf", filename="report.pdf")
    path.write_bytes(bytes(msg))
    return path


def outlook_msg(
    path: Path,
    *,
    subject: str,
    sender: str,
    to: Sequence[str],
    body: str,
    message_id: str | None = None,
    when: dt.datetime | None = None,
) -> Path:
    """A real Outlook .msg (OLE compound file) holding one message."""
    from extract_msg import OleWriter

    def u(text: str) -> bytes:
        return text.encode("utf-16-le")

    writer = OleWriter()
    props = bytearray(32)
    struct.pack_into("<II", props, 8, len(to), 0)
    struct.pack_into("<II", props, 16, len(to), 0)
    strings = {
        0x001A001F: "IPM.Note",
        0x0037001F: subject,
        0x1000001F: body,
        0x0C1A001F: sender.split("@")[0].title(),
        0x5D01001F: sender,
        0x0C1F001F: sender,
        0x0E04001F: "; ".join(to),
    }
    if message_id:
        strings[0x1035001F] = message_id
    for tag, text in strings.items():
        data = u(text)
        writer.addEntry(f"__substg1.0_{tag:08X}", data)
        props.extend(struct.pack("<IIII", tag, 6, len(data) + 2, 0))
    if when:
        filetime = int((when - dt.datetime(1601, 1, 1, tzinfo=dt.UTC)).total_seconds() * 10_000_000)
        for tag in (0x00390040, 0x0E060040):
            props.extend(struct.pack("<IIQ", tag, 6, filetime))
    writer.addEntry("__properties_version1.0", bytes(props))
    writer.addEntry("__nameid_version1.0", storage=True)
    for name in ("__substg1.0_00020102", "__substg1.0_00030102", "__substg1.0_00040102"):
        writer.addEntry(["__nameid_version1.0", name], b"")
    for i, addr in enumerate(to):
        storage = f"__recip_version1.0_#{i:08X}"
        writer.addEntry(storage, storage=True)
        rprops = bytearray(8)
        for tag, text in {0x39FE001F: addr, 0x3001001F: addr.split("@")[0], 0x3003001F: addr}.items():
            data = u(text)
            writer.addEntry([storage, f"__substg1.0_{tag:08X}"], data)
            rprops.extend(struct.pack("<IIII", tag, 6, len(data) + 2, 0))
        rprops.extend(struct.pack("<IIQ", 0x0C150003, 6, 1))  # recipient type: To
        writer.addEntry([storage, "__properties_version1.0"], bytes(rprops))
    writer.write(str(path))
    return path
