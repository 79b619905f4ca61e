"""Reading a Word template safely: is it a Word document, which merge fields does it hold.

A template is refused, with the reason, when it is not a ``.docx`` (an old ``.doc``, a renamed
spreadsheet, random bytes), is password-protected (Word then saves an OLE container, magic bytes
``D0 CF 11 E0``), holds macros, is too large or compressed suspiciously, declares XML entities,
holds no merge fields, or nests a merge field inside another Word field (its text would then become
part of that field's code). Fields Kindred does not know are a :class:`UnknownFields` error that
lists every name a template may use.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crm.correspondence.fields import FieldSpec, available_names, resolve
from crm.errors import FileProblem, UserError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
MAX_TEMPLATE_BYTES = 50 * 1024 * 1024  # the file on disk
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # all its parts unpacked
MAX_RATIO = 100  # unpacked : packed, per part (Apache POI's default)
# Merge-field kinds docx-mailmerge2 would act on beyond filling in a value.
_RECORD_FIELDS = frozenset({"NEXT", "NEXTIF", "SKIPIF"})


class TemplateProblem(FileProblem):
    """The template cannot be used; the message says why and what to do."""


class UnknownFields(UserError):
    """The template uses merge fields Kindred does not know."""

    def __init__(self, message: str, unknown: list[str]) -> None:
        super().__init__(message)
        self.unknown = unknown


@dataclass
class Template:
    """A checked template: its bytes (read once) and its merge fields."""

    path: Path
    data: bytes
    fields: dict[str, FieldSpec] = field(default_factory=dict)  # name as written → known field

    @property
    def name(self) -> str:
        return self.path.stem


def _refuse(path: Path, reason: str) -> TemplateProblem:
    return TemplateProblem(f"{path.name} cannot be used as a letter template: {reason}")


def _check_package(path: Path, data: bytes) -> None:
    if data.startswith(OLE_MAGIC):
        raise _refuse(
            path,
            "it is password-protected or an old Word 97–2003 document. Remove the password "
            "(File › Info › Protect Document) or save it as a Word Document (.docx), then try again.",
        )
    if not data.startswith(ZIP_MAGIC):
        raise _refuse(
            path, "it is not a Word document. Open it in Word and save it as a Word Document (.docx)."
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _refuse(path, f"the file is damaged ({exc}). Save it again from Word.") from exc
    names = {i.filename for i in infos}
    if "word/document.xml" not in names or "[Content_Types].xml" not in names:
        raise _refuse(
            path, "it is not a Word document (no document body inside). Save it from Word as .docx."
        )
    if any(i.flag_bits & 0x1 for i in infos):
        raise _refuse(path, "parts of it are encrypted. Remove the password in Word and save it again.")
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise _refuse(path, "it holds macros. Save it in Word as a plain Word Document (.docx), not .docm.")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > 1_000_000 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _refuse(path, f"its part {info.filename} unpacks to over {MAX_RATIO} times its size.")
    if total > MAX_UNPACKED_BYTES:
        raise _refuse(path, "it unpacks to more than 200 MB. Remove large pictures and save it again.")
    try:
        content_types = archive.read("[Content_Types].xml")
        if b"macroEnabled" in content_types:
            raise _refuse(path, "it is a macro-enabled document. Save it in Word as a Word Document (.docx).")
        for info in infos:
            if info.filename.endswith((".xml", ".rels")):
                head = archive.read(info)
                if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                    raise _refuse(
                        path, f"its part {info.filename} declares XML entities, which Word never writes."
                    )
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _refuse(path, f"the file is damaged ({exc}). Save it again from Word.") from exc


def _open_merge(path: Path, data: bytes) -> Any:
    from mailmerge import MailMerge

    try:
        return MailMerge(io.BytesIO(data))
    except Exception as exc:  # the library raises what lxml and zipfile raise on a broken part
        raise _refuse(
            path, f"Word's fields in it cannot be read ({exc}). Open it in Word and save it again."
        ) from exc


def merge_fields(path: Path, data: bytes) -> list[str]:
    """The names of the template's merge fields, as written; refuses nested and record fields."""
    merge = _open_merge(path, data)
    try:
        objects = list(merge.merge_data._merge_field_map.values())  # the library keeps no public list
        for obj in objects:
            kind = (obj.instr_tokens[0] if obj.instr_tokens else "").upper()
            if kind in _RECORD_FIELDS:
                raise _refuse(
                    path,
                    f"it uses a {kind} field, which moves between records; Kindred makes one letter per "
                    "person. Remove it in Word (Alt+F9 shows field codes).",
                )
            if obj.nested:
                raise _refuse(
                    path,
                    f"the merge field {obj.name or '?'} sits inside another Word field (such as IF), so "
                    "contact data would become part of that field's code. Use plain merge fields.",
                )
        names = [n for n in merge.get_merge_fields() if n]
    finally:
        merge.docx.close()
    return sorted(set(names), key=str.lower)


def load_template(path: str | Path) -> Template:
    """Read and check a template. Raises TemplateProblem or UnknownFields with the reason."""
    source = Path(path).expanduser()
    if source.suffix.lower() in (".doc", ".dot", ".docm", ".dotm"):
        raise _refuse(
            source,
            f"{source.suffix} files can hold macros or are not .docx. Save it as a Word Document (.docx).",
        )
    try:
        size = source.stat().st_size
        if size > MAX_TEMPLATE_BYTES:
            raise _refuse(source, "it is larger than 50 MB.")
        data = source.read_bytes()
    except FileNotFoundError as exc:
        raise FileProblem(f"There is no file {source}.") from exc
    except IsADirectoryError as exc:
        raise FileProblem(f"{source} is a folder, not a Word document.") from exc
    except OSError as exc:
        raise FileProblem(f"Cannot read {source}: {exc.strerror or exc}.") from exc
    _check_package(source, data)
    names = merge_fields(source, data)
    if not names:
        raise _refuse(
            source,
            "it holds no merge fields. In Word, use Mailings › Insert Merge Field (or Ctrl+F9 and "
            "MERGEFIELD Addressee) where each person's details go.",
        )
    mapped, unknown = resolve(names)
    if unknown:
        listed = ", ".join(unknown)
        raise UnknownFields(
            f"{source.name} uses merge fields Kindred does not know: {listed}. "
            f"The fields you can use are: {', '.join(available_names())}.",
            unknown,
        )
    return Template(path=source, data=data, fields=mapped)
