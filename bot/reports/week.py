"""ISO weeks, cut at the edges of a month, in the configured time zone.

A report's weeks are the ISO weeks (Monday to Sunday) of its month, each cut to the days
it has in that month, so the first and last week may be only a few days long. Cut that
way a month is exactly the sum of its weeks, and no figure ever covers days of two
months. Whole weeks that straddle months would let someone add up a run of monthly
reports (June 2026 to January 2027 is exactly 35 whole ISO weeks) and work out a week
that was withheld.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.reports.month import Month


@dataclass(frozen=True, order=True)
class Week:
    """The days one ISO week has in one month."""

    first: date
    last: date  # inclusive

    @property
    def label(self) -> str:
        """Return the ISO week, such as "2026-W41"."""
        year, number, _ = self.first.isocalendar()
        return f"{year}-W{number:02d}"

    @property
    def days(self) -> int:
        """Return how many days of the week fall in the month."""
        return (self.last - self.first).days + 1

    def dates(self) -> str:
        """Return the days it covers, such as "5–11 Oct" or "1 Oct"."""
        if self.first == self.last:
            return f"{self.first.day} {self.first:%b}"
        return f"{self.first.day}–{self.last.day} {self.first:%b}"

    def start(self, zone: ZoneInfo) -> datetime:
        """Return the first instant of the week's first day, in UTC."""
        return _midnight(self.first, zone)

    def end(self, zone: ZoneInfo) -> datetime:
        """Return the first instant after the week's last day, in UTC."""
        return _midnight(self.last + timedelta(days=1), zone)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    # Built as Month.start builds a month's first instant, so the edges line up exactly.
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def weeks_of(month: Month) -> list[Week]:
    """Return the month's weeks in order, the first and last cut at the month's edges."""
    day, after = month.first_day(), month.shift(1).first_day()
    weeks = []
    while day < after:
        sunday = day + timedelta(days=6 - day.weekday())
        last = min(sunday, after - timedelta(days=1))
        weeks.append(Week(day, last))
        day = last + timedelta(days=1)
    return weeks
