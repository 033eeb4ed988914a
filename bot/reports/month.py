"""Calendar months in the configured time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.errors import InputError


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month in the configured time zone."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """Parse YYYY-MM, or raise a one-line InputError."""
        match = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise InputError(f"{text!r} is not a month; write it as YYYY-MM, e.g. 2026-10")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def containing(cls, moment: datetime, zone: ZoneInfo) -> Month:
        """Return the month a moment falls in, in a time zone."""
        local = moment.astimezone(zone)
        return cls(local.year, local.month)

    def shift(self, months: int) -> Month:
        """Return the month `months` later (or earlier, if negative)."""
        index = self.year * 12 + (self.month - 1) + months
        return Month(index // 12, index % 12 + 1)

    def start(self, zone: ZoneInfo) -> datetime:
        """Return the first instant of the month, in UTC."""
        return datetime(self.year, self.month, 1, tzinfo=zone).astimezone(UTC)

    def end(self, zone: ZoneInfo) -> datetime:
        """Return the first instant of the next month, in UTC."""
        return self.shift(1).start(zone)

    def first_day(self) -> date:
        """Return the month's first calendar day."""
        return date(self.year, self.month, 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def label(self) -> str:
        """Return a human label such as "October 2026"."""
        return self.first_day().strftime("%B %Y")
