"""Periods the dashboard and the reports count over: two dates, both days included."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from crm.errors import ValidationError
from crm.filters import months_before

# The dashboard's choices, in the order they are offered.
PRESETS: tuple[tuple[str, str], ...] = (
    ("last_12_months", "Last 12 months"),
    ("this_year", "This year"),
    ("last_year", "Last year"),
    ("last_90_days", "Last 90 days"),
    ("last_3_years", "Last 3 years"),
)


@dataclass(frozen=True)
class Period:
    """From ``start`` to ``end``, both days included."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValidationError(
                f"The period starts on {self.start:%d/%m/%Y}, after it ends on {self.end:%d/%m/%Y}: "
                "swap the dates.",
                "period",
            )

    @classmethod
    def last_12_months(cls, today: dt.date | None = None) -> Period:
        """The 12 calendar months up to and including the current one (a month-aligned year)."""
        today = today or dt.date.today()
        return cls(_first_of_month(months_before(today, 11)), today)

    @classmethod
    def preset(cls, key: str, today: dt.date | None = None) -> Period:
        today = today or dt.date.today()
        if key == "last_12_months":
            return cls.last_12_months(today)
        if key == "this_year":
            return cls(dt.date(today.year, 1, 1), today)
        if key == "last_year":
            return cls(dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31))
        if key == "last_90_days":
            return cls(today - dt.timedelta(days=89), today)
        if key == "last_3_years":
            return cls(_first_of_month(months_before(today, 35)), today)
        raise ValidationError(f"{key!r} is not a period.", "period")

    @classmethod
    def from_options(cls, start: dt.date | None, end: dt.date | None, today: dt.date | None = None) -> Period:
        """What ``--from``/``--to`` mean: the end defaults to today, the start to a year before the end."""
        end = end or (today or dt.date.today())
        start = start or months_before(end, 12) + dt.timedelta(days=1)
        return cls(start, end)

    def describe(self) -> str:
        return f"{self.start:%d %B %Y} to {self.end:%d %B %Y}"

    def months(self) -> list[Month]:
        """The calendar months the period touches, each cut to the period."""
        out: list[Month] = []
        first = _first_of_month(self.start)
        while first <= self.end:
            nxt = _add_month(first)
            out.append(Month(first, max(first, self.start), min(nxt - dt.timedelta(days=1), self.end)))
            first = nxt
        return out


@dataclass(frozen=True)
class Month:
    """One month of a period: ``first`` of the month, and the days of it inside the period."""

    first: dt.date
    start: dt.date
    end: dt.date

    @property
    def key(self) -> str:
        return f"{self.first:%Y-%m}"

    @property
    def label(self) -> str:
        return f"{self.first:%b %Y}"


def _first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _add_month(first: dt.date) -> dt.date:
    return dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
