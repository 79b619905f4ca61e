"""Cleaning values as they arrive from spreadsheets."""

from __future__ import annotations

import datetime as dt

import pytest

from crm.errors import ValidationError
from crm.importing import cleaning


def test_text_is_trimmed_and_invisible_characters_removed() -> None:
    assert cleaning.text("  Ada\u200b  Lovelace\u00a0") == "Ada Lovelace"
    assert cleaning.text("") is None
    assert cleaning.text("   ") is None
    assert cleaning.text(1234.0) == "1234"


def test_apostrophe_that_kept_a_csv_value_from_being_a_formula_is_dropped() -> None:
    """Kindred's own CSV exports write "'+353 1 234 5678" so that Excel shows text; re-importing
    the file gives back the value, while apostrophes that belong to the text stay."""
    assert cleaning.text("'+353 1 234 5678") == "+353 1 234 5678"
    assert cleaning.text("'=SUM(A1)") == "=SUM(A1)"
    assert cleaning.text("'tis the season") == "'tis the season"
    assert cleaning.text("O'Neill") == "O'Neill"


def test_values_a_spreadsheet_was_told_to_keep_as_text() -> None:
    assert cleaning.text('="0131 496 0000"') == "0131 496 0000"
    assert cleaning.text('="EH1 1AA"') == "EH1 1AA"
    assert (
        cleaning.text("=SUM(A1:A3)") == "=SUM(A1:A3)"
    )  # a formula stays as typed (and is flagged elsewhere)


def test_addresses_written_with_names_or_several_to_a_cell() -> None:
    assert cleaning.email("Ann Lee <Ann@Example.org>") == "ann@example.org"
    assert cleaning.email('"Ray, Bob" <mailto:bob@example.org>') == "bob@example.org"
    assert cleaning.addresses_in("a@example.org; b@example.org") == ["a@example.org", "b@example.org"]
    assert cleaning.addresses_in("jo@example.org (work)") == ["jo@example.org"]
    assert cleaning.addresses_in("no address here") == []


def test_garbled_accents_are_repaired_and_good_ones_left_alone() -> None:
    """UTF-8 read as Windows-1252 and saved again ("SiÃ¢n") is what a list passed through one
    spreadsheet too many looks like."""
    assert cleaning.repair_mojibake("SiÃ¢n") == "Siân"
    assert cleaning.repair_mojibake("Ã“ Floinn") == "Ó Floinn"
    assert cleaning.repair_mojibake("Donâ€™t") == "Don’t"
    assert cleaning.repair_mojibake("Siân") is None
    assert cleaning.repair_mojibake("Ó Floinn") is None
    assert cleaning.repair_mojibake("plain") is None


def test_email_case_and_spacing() -> None:
    assert cleaning.email(" Jane.Smith@Example.ORG ") == "jane.smith@example.org"
    assert cleaning.email("jane smith@example.org") == "janesmith@example.org"
    assert cleaning.email("<ada@example.org>") == "ada@example.org"
    with pytest.raises(ValidationError, match="not a valid email address"):
        cleaning.email("ada@")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("01313485000", "0131 348 5000"),
        ("+44 131 348 5000", "0131 348 5000"),
        ("0131-348-5000", "0131 348 5000"),
        (7700900123.0, "07700 900123"),  # a number cell lost its leading zero
        ("07700 900123", "07700 900123"),
        ("020 7946 0018", "020 7946 0018"),
        ("+33 1 42 68 53 00", "+33 1 42 68 53 00"),
    ],
)
def test_phone_numbers_formatted(raw: object, expected: str) -> None:
    assert cleaning.phone(raw) == expected
    assert cleaning.phone(raw) == expected  # the remembered grouping gives the same answer


def test_uk_numbers_of_every_kind_are_grouped_as_phonenumbers_groups_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The groupings remembered by leading digits and by format give exactly what phonenumbers
    gives, whichever number of a kind comes first: every five-digit start (the most the UK
    formats look at), in a fresh memory, each twice with different endings."""
    import random

    from crm.validation import normalise_phone

    monkeypatch.setattr(cleaning, "_UK_SHAPES", {})
    monkeypatch.setattr(cleaning, "_UK_FORMAT_SHAPES", {})
    rnd = random.Random(19)
    numbers = [
        f"0{start}{rnd.randrange(100_000):05d}" for start in range(10_000, 100_000, 37) for _ in range(2)
    ]
    numbers += ["0800 111 1000", "08454 641234", "0800 123456", "013873 12345", "07624 123456"]
    numbers += ["070 1234 5678", "076 2312 3456", "0300 123 4567", "0843 123 4567", "01946 712345"]
    for raw in numbers:
        try:
            expected = normalise_phone(raw)
        except ValidationError:
            with pytest.raises(ValidationError):
                cleaning.phone(raw)
            continue
        assert cleaning.phone(raw) == expected, raw
    assert len(cleaning._UK_FORMAT_SHAPES) <= 20  # remembered by format: a handful of kinds


def test_bad_phone() -> None:
    with pytest.raises(ValidationError, match="not a phone number"):
        cleaning.phone("12")


def test_postcodes() -> None:
    assert cleaning.postcode("eh991sp") == "EH99 1SP"
    assert cleaning.postcode("EH99 1SP") == "EH99 1SP"
    with pytest.raises(ValidationError, match="not a UK postcode"):
        cleaning.postcode("75008")


def test_dates_day_first_by_default_and_ambiguity_noted() -> None:
    assert cleaning.parse_date("13/03/2024") == (dt.date(2024, 3, 13), None)
    value, warning = cleaning.parse_date("04/03/2024")
    assert value == dt.date(2024, 3, 4)
    assert warning is not None and "either way" in warning
    assert cleaning.parse_date("04/03/2024", "dmy") == (dt.date(2024, 3, 4), None)
    assert cleaning.parse_date("04/03/2024", "mdy") == (dt.date(2024, 4, 3), None)
    assert cleaning.parse_date(45000.0) == (dt.date(2023, 3, 15), None)  # an Excel serial
    assert cleaning.parse_date("45000") == (dt.date(2023, 3, 15), None)
    assert cleaning.parse_date("4 March 2024") == (dt.date(2024, 3, 4), None)
    assert cleaning.parse_date("2024-03-04") == (dt.date(2024, 3, 4), None)
    with pytest.raises(ValidationError, match="not a date"):
        cleaning.parse_date("31/02/2024")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13/03/2024 10:15", dt.date(2024, 3, 13)),  # Excel's UK CSV: date and time
        ("13/03/2024 10:15:33", dt.date(2024, 3, 13)),
        ("13/3/24 9:05 pm", dt.date(2024, 3, 13)),
        ("Mar 13, 2024", dt.date(2024, 3, 13)),  # web forms, month first in words: not ambiguous
        ("March 13th 2024", dt.date(2024, 3, 13)),
        ("Wednesday, 13 March 2024", dt.date(2024, 3, 13)),
        ("13 March 2024 at 10:00", dt.date(2024, 3, 13)),
        ("2024-03-13T10:15:00", dt.date(2024, 3, 13)),
    ],
)
def test_dates_with_times_and_words(raw: str, expected: dt.date) -> None:
    assert cleaning.parse_date(raw) == (expected, None)


def test_date_order_hint_from_a_column() -> None:
    assert cleaning.date_order_hint(["03/13/2024", "04/05/2024"]) == "mdy"
    assert cleaning.date_order_hint(["13/03/2024", "04/05/2024"]) == "dmy"
    assert cleaning.date_order_hint(["04/05/2024"]) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Dr Jane Smith", {"title": "Dr", "first_name": "Jane", "last_name": "Smith"}),
        ("Smith, Dr Jane", {"title": "Dr", "first_name": "Jane", "last_name": "Smith"}),
        ("Ó Floinn, Seán", {"first_name": "Seán", "last_name": "Ó Floinn"}),
        ("Seán Ó Floinn", {"first_name": "Seán", "last_name": "Ó Floinn"}),
        (
            "Rt Hon Ann Jones MS",
            {"title": "Rt Hon", "first_name": "Ann", "last_name": "Jones", "post_nominals": "MS"},
        ),
        ("Jane Smith, OBE", {"first_name": "Jane", "last_name": "Smith", "post_nominals": "OBE"}),
        ("Cher", {"last_name": "Cher"}),
        ("Mary Anne van der Berg", {"first_name": "Mary Anne", "last_name": "van der Berg"}),
        (
            "The Rt Hon John Swinney MSP",
            {"title": "Rt Hon", "first_name": "John", "last_name": "Swinney", "post_nominals": "MSP"},
        ),
        ("John Smith Jr", {"first_name": "John", "last_name": "Smith Jr"}),
    ],
)
def test_names_split(raw: str, expected: dict[str, str]) -> None:
    assert cleaning.split_name(raw) == expected


def test_tags_split_and_deduplicated() -> None:
    assert cleaning.split_tags("newsletter; Reception 2026, newsletter") == ["newsletter", "Reception 2026"]
    assert cleaning.split_tags("one") == ["one"]
    assert cleaning.split_tags("") == []
    assert cleaning.split_tags('"Policy","Events"') == ["Policy", "Events"]  # Mailchimp's tags


def test_yes_no() -> None:
    assert cleaning.yes_no("Yes") is True
    assert cleaning.yes_no("x") is True
    assert cleaning.yes_no("no") is False
    assert cleaning.yes_no("") is None
    assert cleaning.yes_no("Unsubscribed") is True  # an opt-out column from a mailing tool
    assert cleaning.yes_no("subscribed") is False
    with pytest.raises(ValidationError):
        cleaning.yes_no("perhaps")


def test_cell_over_excel_limit() -> None:
    with pytest.raises(ValidationError, match="more than a spreadsheet cell can hold"):
        cleaning.check_excel_limit("x" * 32_768)


_AWKWARD = [
    "Ann",
    "ann lee",
    " Ann",
    "Ann ",
    "Ann  Lee",
    "'Ann",
    "'+44 131 348 5000",
    '="0131 496 0000"',
    "=SUM(A1)",
    "n/a",
    "N/A",
    "None",
    "TBC",
    "0",
    "Siân",
    "Seán Ó Floinn",
    "Zoë Müller",
    "Zoe\u0308",  # decomposed: composed by cleaning
    "Ann\u00a0Lee",
    "Ann\ufffdLee",
    "—",
    "Café’s",
    "SiÃ¢n",
    "Ann\u200bLee",
    "Ann\tLee",
    "x" * 101,
    "x" * 40_000,
    "Ann@Example.ORG",
    "ann@example.org",
    "Ann Lee <ann@example.org>",
    "ann@",
    "a@b.co",
    "EH99 1SP",
    "eh99 1sp",
    "EH991SP",
    "75008",
    "0131 348 5000",
    "07700 900123",
    "07700900123",
    "0800 123 4567",
    "0131 348 50000",
    "0131 348 500",
    "01387 312345",
    "0\uff11\uff13\uff11 348 5000",
    "1234",
    "yes",
    "-",
    "",
]


@pytest.mark.parametrize(
    "field",
    [
        "first_name",
        "town",
        "job_title",
        "email",
        "email@work",
        "postcode",
        "phone",
        "mobile",
        "phone@work",
        "notes",
        "do_not_contact",
    ],
)
def test_a_column_cleans_to_what_each_value_cleans_to_alone(field: str) -> None:
    """The whole-column quick test gives exactly what cleaning each value alone gives."""
    from crm.importing.plan import _PERSON_CLEANERS
    from crm.importing.rows import _clean_column, _clean_person_value

    column = [*_AWKWARD, None, *_AWKWARD]
    cleaned, problems = _clean_column(field, column)
    alone = [_clean_person_value(field, _PERSON_CLEANERS[field], v) if v else None for v in column]
    assert [(i, p) for i, p in enumerate(alone) if type(p).__name__ == "_Problem"] == problems
    assert cleaned == alone
