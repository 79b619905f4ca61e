"""``mailto:`` links for "Email these people…": the list in Bcc, in batches mail clients accept.

Outlook on Windows stops at about 2,000 characters of link, and several clients and servers limit
the recipients of one message, so the addresses are split by both: at most ``max_addresses`` each
and a link no longer than ``max_length``. Addresses come from the export engine with the email
rules (do-not-contact, suppression, email opt-out, one per address).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

MAX_LINK = 2_000
MAX_ADDRESSES = 50


def _encoded(address: str) -> str:
    return quote(address, safe="@.+-_")


def bcc_batches(
    addresses: Sequence[str], *, max_addresses: int = MAX_ADDRESSES, max_length: int = MAX_LINK
) -> list[list[str]]:
    """Consecutive groups of addresses, each fitting one ``mailto:`` link."""
    batches: list[list[str]] = []
    current: list[str] = []
    length = len("mailto:?bcc=")
    for address in addresses:
        piece = len(_encoded(address)) + (1 if current else 0)
        if current and (len(current) >= max_addresses or length + piece > max_length):
            batches.append(current)
            current, length = [], len("mailto:?bcc=")
            piece = len(_encoded(address))
        current.append(address)
        length += piece
    if current:
        batches.append(current)
    return batches


def mailto_link(addresses: Sequence[str], subject: str | None = None) -> str:
    link = "mailto:?bcc=" + ",".join(_encoded(a) for a in addresses)
    if subject:
        link += "&subject=" + quote(subject)
    return link


def clipboard_text(addresses: Sequence[str]) -> str:
    """Addresses as Outlook and Gmail accept them pasted into Bcc: separated by "; "."""
    return "; ".join(addresses)
