"""The minimum group size, and making sure withheld numbers stay withheld.

A row covering fewer than `k` distinct authors is withheld ("not enough people to
report"). Withholding one row is not enough when its parent total is shown: the parent
minus the shown siblings would give the withheld row away. So whenever a parent is shown
and its withheld children could be worked out by subtraction, more siblings are withheld
(the smallest first) until the withheld ones together cover at least `k` authors.

"Together" means distinct people: someone who writes in two withheld channels is one
person, not two, so the withheld set is judged by a count over the union of its authors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

NOT_ENOUGH_PEOPLE = "not enough people to report"


@dataclass
class Suppressible:
    """Anything with an author count that may be withheld."""

    key: str
    authors: int
    messages: int
    suppressed: bool = False
    reason: str | None = None

    def withhold(self, reason: str) -> None:
        """Mark the row as withheld."""
        self.suppressed = True
        self.reason = reason


def apply_minimum(rows: Sequence[Suppressible], k: int) -> None:
    """Withhold every row covering fewer than `k` authors."""
    for row in rows:
        if row.authors < k and not row.suppressed:
            row.withhold(NOT_ENOUGH_PEOPLE)


AuthorsOf = Callable[[Sequence[Suppressible]], int]


def _together(rows: Sequence[Suppressible], k: int, authors_of: AuthorsOf | None) -> int:
    """Return how many distinct people the rows cover, as far as it matters against `k`."""
    # The union covers at least the largest row and at most the sum of all of them.
    largest = max(r.authors for r in rows)
    if largest >= k:
        return largest
    total = sum(r.authors for r in rows)
    if total < k:
        return total
    # Only a count over the union can tell; without one, the largest row never overstates.
    return max(largest, authors_of(rows)) if authors_of else largest


def protect_by_subtraction(
    parent_shown: bool,
    children: Sequence[Suppressible],
    k: int,
    *,
    authors_of: AuthorsOf | None = None,
) -> bool:
    """Withhold more children so the withheld ones cannot be worked out from the parent.

    Only matters when the parent's total is shown. The withheld children together must
    cover at least `k` distinct authors (`authors_of` counts the union of some rows'
    authors) and there must be at least two of them, so neither the group nor any one
    member can be recovered by subtraction. Return False when there were not enough
    children to withhold: then only withholding the parent keeps them safe.
    """
    if not parent_shown:
        return True
    withheld = [c for c in children if c.suppressed]
    if not withheld:
        return True
    shown = sorted((c for c in children if not c.suppressed), key=lambda c: (c.authors, c.messages))
    while len(withheld) < 2 or _together(withheld, k, authors_of) < k:
        if not shown:
            return False
        extra = shown.pop(0)
        extra.withhold(NOT_ENOUGH_PEOPLE + " (withheld so a smaller group cannot be worked out)")
        withheld.append(extra)
    return True
