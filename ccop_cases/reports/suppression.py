"""Small-cell suppression of the aggregate tables that leave the group (issue 15).

A table of counts is published with its row totals, column totals and grand total. Every
count from 1 to ``SMALL - 1`` (totals included) is shown as « < 5 » (primary suppression),
and enough other counts are hidden (secondary suppression) that no hidden count can be
recomputed from what is published: neither from a row or a column alone, nor by combining
them, knowing that counts are whole, never negative, and that a « < 5 » is between 1 and 4.

The tables are sums by rows and columns, so each hidden count's possible values are found
by propagating bounds through the row and column equations; a hidden count whose bounds
close on a single value is pinned, and another count of its row or column is hidden.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SMALL = 5  # counts from 1 to SMALL - 1 are never published

Position = tuple[int, int]


@dataclass(frozen=True)
class Suppressed:
    """The full grid (the table, then its totals as a last column and a last row): each entry
    is its count or None when hidden; ``small`` holds the hidden entries shown as « < 5 »
    (the others are hidden to protect them)."""

    grid: tuple[tuple[int | None, ...], ...]
    small: frozenset[Position]

    def shown(self, row: int, column: int) -> str:
        """What the page and the files print for one entry."""
        value = self.grid[row][column]
        if value is not None:
            return str(value)
        return f"< {SMALL}" if (row, column) in self.small else "s"


def with_totals(table: Sequence[Sequence[int]]) -> list[list[int]]:
    """The table with a total column and a total row (the grand total at the corner)."""
    rows = [[*row, sum(row)] for row in table]
    columns = len(rows[0]) if rows else 1
    return [*rows, [sum(row[j] for row in rows) for j in range(columns)]]


def suppress(table: Sequence[Sequence[int]]) -> Suppressed:
    """Publish ``table`` (non-negative counts, every row of the same length) safely."""
    if any(value < 0 for row in table for value in row):
        raise ValueError("counts are never negative")
    full = with_totals(table)
    small = {(i, j) for i, row in enumerate(full) for j, value in enumerate(row) if 0 < value < SMALL}
    hidden = set(small)
    while True:
        weak = _single_hidden_lines(full, hidden) or _pinned(full, hidden, small)
        if not weak:
            break
        for line in weak:
            if any(p not in hidden for p in line):  # an earlier line of this round may have closed it
                hidden.add(_cheapest(full, hidden, line))
    grid = tuple(tuple(None if (i, j) in hidden else value for j, value in enumerate(row))
                 for i, row in enumerate(full))
    return Suppressed(grid, frozenset(small))


def share(part: int | None, whole: int | None) -> float | None:
    """A percentage, hidden when either count is (a share of hidden counts tells them)."""
    if part is None or whole is None or whole == 0:
        return None
    return 100 * part / whole


def lines(full: list[list[int]]) -> list[list[Position]]:
    """Each row and each column of the full grid: its parts, then its total (last)."""
    height, width = len(full), len(full[0])
    return ([[(i, j) for j in range(width)] for i in range(height)]
            + [[(i, j) for i in range(height)] for j in range(width)])


def _single_hidden_lines(full: list[list[int]], hidden: set[Position]) -> list[list[Position]]:
    """Lines with exactly one hidden entry: it is its line's total minus the others."""
    return [line for line in lines(full) if sum(p in hidden for p in line) == 1]


def _cheapest(full: list[list[int]], hidden: set[Position], line: list[Position]) -> Position:
    """The entry of ``line`` to hide next: the smallest count not hidden yet (a total last)."""
    candidates = [p for p in line if p not in hidden]
    if not candidates:
        raise ValueError("a line whose entries are all hidden cannot be weak")
    return min(candidates, key=lambda p: (p == line[-1], full[p[0]][p[1]], p))


def bounds(full: list[list[int]], hidden: set[Position], small: set[Position],
           fixed: dict[Position, int] | None = None) -> dict[Position, tuple[int, int]]:
    """The values each hidden entry can take given what is published: whole, never negative,
    a « < 5 » between 1 and 4, every row and column summing to its total (``fixed``: entries
    taken as known, to explore). An empty range (low > high) means no table fits.

    The upper bound of a hidden count is the true grand total, which an outsider may not know:
    the check is then stricter than the outsider, never looser."""
    top = full[-1][-1]
    box = {p: (1, SMALL - 1) if p in small else (0, top) for p in hidden}
    box.update({p: (value, value) for p, value in (fixed or {}).items()})
    equations = []
    for line in lines(full):
        unknown = [(p, -1 if p == line[-1] else 1) for p in line if p in hidden]
        known = sum(full[p[0]][p[1]] * (-1 if p == line[-1] else 1) for p in line if p not in hidden)
        if unknown:
            equations.append((unknown, -known))  # sum of coefficient * entry over unknowns = -known
    changed = True
    while changed:
        changed = False
        for unknown, rest in equations:
            for p, a in unknown:
                others_low = sum(b * (box[q][0] if b > 0 else box[q][1]) for q, b in unknown if q != p)
                others_high = sum(b * (box[q][1] if b > 0 else box[q][0]) for q, b in unknown if q != p)
                if a > 0:
                    low, high = rest - others_high, rest - others_low
                else:
                    low, high = others_low - rest, others_high - rest
                new = (max(box[p][0], low), min(box[p][1], high))
                if new[0] > new[1]:
                    return {**box, p: new}  # infeasible: no need to go on
                if new != box[p]:
                    box[p], changed = new, True
    return box


def _pinned(full: list[list[int]], hidden: set[Position], small: set[Position]) -> list[list[Position]]:
    """For each hidden entry whose bounds close on one value, a line of it to widen."""
    box = bounds(full, hidden, small)
    weak = []
    for p, (low, high) in box.items():
        if low == high:
            open_lines = [line for line in lines(full) if p in line and any(q not in hidden for q in line)]
            weak += open_lines[:1]
    return weak
