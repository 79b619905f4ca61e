"""Validation and normalisation of contact values: email, phone, postcode.

Each ``normalise_*`` returns the cleaned value or raises :class:`ValidationError` with a plain
reason, so the UI, the importer and the services give the same messages.
"""

from __future__ import annotations

import re

from crm.errors import ValidationError
from crm.text import clean_text

EXCEL_CELL_LIMIT = 32_767

# Royal Mail's postcode shape, including GIR 0AA and BFPO is not a postcode.
_UK_POSTCODE = re.compile(
    r"^(GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?[0-9][0-9A-HJKMNPR-Y]? ?[0-9][ABD-HJLNP-UW-Z]{2})$"
)


def normalise_email(value: str | None) -> str | None:
    """Lower-cased domain, no spaces, syntax checked (no network look-up)."""
    text = clean_text(value)
    if text is None:
        return None
    text = text.replace(" ", "").strip("<>;,.")
    if text.lower().startswith("mailto:"):
        text = text[7:]
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(f"{value!r} is not a valid email address: {exc}", "email") from exc
    return result.normalized.lower()


def normalise_phone(value: str | None, region: str = "GB") -> str | None:
    """UK numbers in national format ("0131 348 5000"), others in international format."""
    text = clean_text(value)
    if text is None:
        return None
    import phonenumbers

    digits = re.sub(r"[^\d+]", "", text)
    if len(digits) >= 9 and digits.startswith("44"):
        text = "+" + digits
    elif len(digits) >= 9 and digits.startswith("7") and len(digits) == 10:
        text = "0" + digits  # a UK mobile whose leading zero a spreadsheet dropped
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(f"{value!r} is not a phone number.", "phone") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise ValidationError(f"{value!r} is not a possible phone number.", "phone")
    if parsed.country_code == 44:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalise_postcode(value: str | None, *, strict: bool = True) -> str | None:
    """A UK postcode in capitals with its single space ("EH99 1SP").

    With ``strict`` false, something that is not a UK postcode is kept as typed (overseas codes).
    """
    text = clean_text(value)
    if text is None:
        return None
    compact = re.sub(r"\s+", "", text.upper())
    if _UK_POSTCODE.match(compact) and len(compact) >= 5:
        return f"{compact[:-3]} {compact[-3:]}"
    if strict:
        raise ValidationError(f"{value!r} is not a UK postcode.", "postcode")
    return text


def check_length(field: str, value: str | None, limit: int) -> None:
    if value is not None and len(value) > limit:
        raise ValidationError(
            f"{field.replace('_', ' ').capitalize()} is longer than {limit} characters.", field
        )
