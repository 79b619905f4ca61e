"""Address labels on standard A4 sheets, as a Word document (python-docx).

One table fills each sheet: fixed column widths and exact row heights matching the sheet's labels,
gaps between labels as narrow empty columns, no borders, so the text lands on the labels when the
document is printed at 100 %.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crm.correspondence.fields import xml_safe
from crm.errors import ValidationError


@dataclass(frozen=True)
class LabelSheet:
    """An A4 label sheet's geometry in millimetres (the manufacturer's template figures)."""

    code: str
    across: int
    down: int
    width: float
    height: float
    top: float
    left: float
    gap: float  # horizontal gap between labels
    font_pt: float

    @property
    def per_page(self) -> int:
        return self.across * self.down


SHEETS: dict[str, LabelSheet] = {
    "L7160": LabelSheet("L7160", 3, 7, 63.5, 38.1, 15.15, 7.2, 2.5, 9.5),
    "L7163": LabelSheet("L7163", 2, 7, 99.1, 38.1, 15.15, 4.65, 2.5, 10.5),
}


def sheet(code: str) -> LabelSheet:
    found = SHEETS.get(code.strip().upper())
    if found is None:
        raise ValidationError(f"{code!r} is not a label sheet Kindred knows ({', '.join(SHEETS)}).", "labels")
    return found


def _no_borders(table: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    tbl_pr.append(borders)
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    margins = OxmlElement("w:tblCellMar")
    for edge, twips in (("top", 0), ("bottom", 0), ("left", 85), ("right", 85)):  # 85 twips = 1.5 mm
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:w"), str(twips))
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    tbl_pr.append(margins)


def _row_props(row: Any, height_mm: float) -> None:
    from docx.enum.table import WD_ROW_HEIGHT_RULE
    from docx.oxml import OxmlElement
    from docx.shared import Mm

    row.height = Mm(height_mm)
    row.height_rule = WD_ROW_HEIGHT_RULE.EXACTLY
    cant_split = OxmlElement("w:cantSplit")
    row._tr.get_or_add_trPr().append(cant_split)


def labels_document(
    labels: Sequence[Sequence[str]], layout: LabelSheet, title: str = "Address labels"
) -> bytes:
    """A .docx with one label per entry of ``labels`` (each a list of lines)."""
    from docx import Document
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
    from docx.shared import Mm, Pt

    doc = Document()
    doc.core_properties.title = title
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = Mm(layout.top)
    section.bottom_margin = Mm(5)  # below the last row; a smaller margin keeps seven rows a page
    section.left_margin = Mm(layout.left)
    section.right_margin = Mm(3)
    section.header_distance = section.footer_distance = Mm(0)
    style = doc.styles["Normal"]
    style.font.size = Pt(layout.font_pt)
    style.paragraph_format.space_after = Pt(0)
    style.paragraph_format.space_before = Pt(0)
    style.paragraph_format.line_spacing = 1.0
    columns = layout.across * 2 - 1
    rows = max(1, math.ceil(len(labels) / layout.across))
    table = doc.add_table(rows=rows, cols=columns)
    _no_borders(table)
    widths = [Mm(layout.width) if c % 2 == 0 else Mm(layout.gap) for c in range(columns)]
    for c, column in enumerate(table.columns):
        column.width = widths[c]
    for r, row in enumerate(table.rows):
        _row_props(row, layout.height)
        for c, cell in enumerate(row.cells):
            cell.width = widths[c]
            if c % 2:
                continue
            index = r * layout.across + c // 2
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            if index >= len(labels):
                continue
            lines = [xml_safe(line) for line in labels[index] if line]
            paragraph = cell.paragraphs[0]
            run = paragraph.add_run(lines[0] if lines else "")
            for line in lines[1:]:
                run.add_break()
                run.add_text(line)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def template_lines(template_data: bytes, field_names: Sequence[str]) -> list[str]:
    """A label template's body paragraphs with each field as a placeholder (see fill_lines).

    The template is merged once with placeholders made of private-use characters, then read back as
    text, so a label's lines keep the template's wording and order without re-reading it per person.
    """
    from docx import Document
    from mailmerge import MailMerge

    placeholders = {name: f"\ue000{i}\ue001" for i, name in enumerate(field_names)}
    merged = io.BytesIO()
    with MailMerge(io.BytesIO(template_data)) as merge:
        merge.merge(**placeholders)
        merge.write(merged)
    merged.seek(0)
    doc = Document(merged)
    return [p.text for p in doc.paragraphs]


def fill_lines(lines: Sequence[str], values: Sequence[str]) -> list[str]:
    """A label's lines: placeholders replaced; lines that held only empty fields left out."""
    out: list[str] = []
    for line in lines:
        text = line
        had_field = "\ue000" in line
        for i, value in enumerate(values):
            text = text.replace(f"\ue000{i}\ue001", value)
        for part in text.split("\n"):
            if part.strip() or not had_field:
                out.append(part)
    while out and not out[-1].strip():
        out.pop()
    while out and not out[0].strip():
        out.pop(0)
    return out


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` through a partial file, so a failure leaves no half-written document."""
    import os

    from crm.errors import FileProblem

    tmp = path.with_name(path.name + ".partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise FileProblem(
            f"Cannot write {path}: {exc.strerror or exc}. If it is open in Word, close it and try again."
        ) from exc
