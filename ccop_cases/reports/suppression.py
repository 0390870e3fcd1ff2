"""Small-cell suppression (issue 15): the one function that decides what a report table shows.

The model. A table with totals publishes its cells x_ij, its row totals r_i, its column
totals c_j and its grand total g, tied by sum_j x_ij = r_i, sum_i x_ij = c_j and
sum_i r_i = sum_j c_j = g. Every one of these counts from 1 to 4 shows « < 5 » (primary
suppression). Other counts are then hidden, shown « s » (secondary suppression), until
every hidden count can take at least two whole values for a reader who knows all that is
published: the shown counts, the equations, and the labels — « < 5 » is 1 to 4, and « s »
is 0 or 5 and more, since a count of 1 to 4 would have shown « < 5 » (ignoring this lets
« < 5 », « s », total 6 give away the 1 and the 5 of [[1, 5]]). A table without totals (a
young person counted in two rows) has nothing to recompute from: its cells are protected
one by one, and nothing else is hidden.

Why whole-table optimisation. The values a hidden count can take run from its minimum to its
maximum over the whole system, every row and column at once: looking at one equation at a
time misses pins that only appear when the bounds of several rows and columns are combined
(``[[0, 1], [0, 1], [1, 1]]``: the labels alone pin every count). Were « s » any count from
0, the system would be a network matrix (totally unimodular): linear programming would give
whole minima and maxima, every value between reached. « 0 or 5 and more » is not an
interval, so ``_move`` first asks two linear programs (one looser, one stricter than the
reader) and falls back to integer programming (HiGHS, semi-integer counts) when they
disagree. Before any solver, one step often settles it: four corners of a rectangle of the
grid moved by 1 or 5 keep every row and column adding up (``_steps``). A 12 x 6 table
takes some hundredths of a second, a few tenths at worst (tables full of 1 and 5).

Secondary suppression is greedy and deterministic: while some hidden count is pinned to a
single value, hide one more shown count of its row or column (the line where it is least
hidden, the smallest non-zero value, cells before totals, then by position; never a count
the labels alone pin, hiding it would tell nothing new), or, when the labels alone pin it
(every count of a tiny row is at least 1 and their total at most 4), turn a « < 5 » into
« s » — which a reader cannot tell from another « s », so it counts as any count. Both only
widen what a reader must consider, so a count once shown to take two values keeps them: each
is proven free once, and the loop ends, at worst with all hidden.

With one column the row totals repeat the cells and with one row the column totals repeat
them: those are not published separately (``Published.row_totals`` or ``column_totals`` is
None); the grand total always is, in ``Published.total``, also when it equals the only
column's (or row's) total — a page draws the corner only when both kinds of totals exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, OptimizeResult, linprog, milp

from ccop_cases.reports.model import Measure, Table

SMALL = "< 5"
SECRET = "s"  # noqa: S105 - the label of a hidden count, not a password
LIMIT = 5  # counts from 1 to LIMIT - 1 are never published
NO_BASE = "—"  # a share of nothing, a mean over nobody
SPACE = "\u202f"  # narrow no-break space: thousands, and before a unit (French typography)

Grid = tuple[tuple[str | None, ...], ...]


@dataclass(frozen=True)
class Shown:
    """One count as published: ``value`` None when hidden, ``text`` what is printed."""

    value: int | None
    text: str


@dataclass(frozen=True)
class Published:
    """A table as it may leave the group. Without totals, the three totals are None; with
    them, ``total`` is always given, and ``row_totals`` (one column) or ``column_totals``
    (one row) is None when it would only repeat the cells."""

    table: Table
    cells: tuple[tuple[Shown, ...], ...]
    row_totals: tuple[Shown, ...] | None
    column_totals: tuple[Shown, ...] | None
    total: Shown | None


def publish(table: Table) -> Published:
    """The table with its small cells suppressed: the only form a page or a file reads."""
    labels = protect(table.counts, table.totals)
    full = with_totals(table.counts) if table.totals else [list(row) for row in table.counts]
    grid = [[Shown(None, label) if label else Shown(value, _number(value))
             for value, label in zip(row, marks, strict=True)] for row, marks in zip(full, labels, strict=True)]
    if not table.totals:
        return Published(table, tuple(map(tuple, grid)), None, None, None)
    height, width = len(table.counts), len(full[0]) - 1
    cells = tuple(tuple(row[:width]) for row in grid[:height])
    row_totals = None if width == 1 else tuple(row[width] for row in grid[:height])
    column_totals = None if height == 1 else tuple(grid[height][:width])
    return Published(table, cells, row_totals, column_totals, grid[height][width])


def protect(counts: Sequence[Sequence[int]], totals: bool = True) -> Grid:
    """The label of every count: None when published, else SMALL or SECRET.

    Without totals the grid is the cells'; with totals it is ``with_totals(counts)``'s: each
    row ends with its total, and a last row holds the column totals and the grand total."""
    width = len(counts[0]) if counts else 0
    if any(len(row) != width for row in counts) or any(value < 0 for row in counts for value in row):
        raise ValueError("a table holds rows of the same length of counts, never negative")
    if not totals:
        return tuple(tuple(SMALL if 0 < value < LIMIT else None for value in row) for row in counts)
    system = _System(with_totals(counts))
    system.suppress()
    return system.grid()


def with_totals(counts: Sequence[Sequence[int]]) -> list[list[int]]:
    """The cells with each row's total as a last column and a last row of column totals."""
    rows = [[*row, sum(row)] for row in counts]
    width = len(counts[0]) + 1 if counts else 1
    return [*rows, [sum(row[j] for row in rows) for j in range(width)]]


def measure(m: Measure) -> str:
    """A mean or a share in French (« 12,5 jours », « 40 % »); SECRET when computed on 1 to 4
    people or events, when a share's part or the rest of its base is 1 to 4 (either would be
    recomputed from the share), or when its value is itself suppressed; « — » when on nobody."""
    if m.count and m.value is not None:
        return SMALL if 0 < m.value < LIMIT else f"{_number(m.value)}{SPACE}{m.unit}"
    if m.base == 0:
        return NO_BASE
    small = [n for n in (m.base, m.part, None if m.part is None else m.base - m.part) if n is not None]
    if any(0 < n < LIMIT for n in small) or m.value is None:
        return SECRET
    return f"{_number(m.value)}{SPACE}{m.unit}"


def share(part: Shown, whole: Shown) -> str:
    """``part`` as a percentage of ``whole``: SECRET when either is hidden (a share of a
    hidden count tells it), « — » of nothing."""
    if part.value is None or whole.value is None:
        return SECRET
    if whole.value == 0:
        return NO_BASE
    return f"{_number(100 * part.value / whole.value)}{SPACE}%"


def _number(value: float) -> str:
    """French: decimal comma, at most one decimal, narrow spaces between thousands."""
    text = f"{value:,.1f}".removesuffix(".0")
    return text.replace(",", SPACE).replace(".", ",")


class _System:
    """The counts of a table with totals, flattened row by row, their labels and equations."""

    def __init__(self, full: list[list[int]]) -> None:
        self.height, self.width = len(full), len(full[0])  # totals included
        self.values = np.array([value for row in full for value in row], dtype=float)
        self.labels: list[str | None] = [SMALL if 0 < value < LIMIT else None for row in full for value in row]
        self.lines = [[i * self.width + j for j in range(self.width)] for i in range(self.height)]
        self.lines += [[i * self.width + j for i in range(self.height)] for j in range(self.width)]
        self.equations = np.zeros((len(self.lines), len(self.values)))
        for row, line in enumerate(self.lines):
            self.equations[row, line[:-1]], self.equations[row, line[-1]] = 1, -1  # parts - total = 0
        self.free: set[int] = set()  # proven to take two values with what is shown
        self.free_by_labels: set[int] = set()  # the same with nothing but the labels shown
        self.pinned_by_labels: set[int] = set()  # pinned by the labels alone, until one is loosened

    def suppress(self) -> None:
        while (pinned := next((k for k in self._own() if self._pinned(k)), None)) is not None:
            candidate = None if self._pinned(pinned, labels_only=True) else self._candidate(pinned)
            if candidate is None:
                self._set(self._to_demote(pinned), SECRET)
                self.pinned_by_labels.clear()  # a looser label: what it pinned may move now
            else:
                self._set(candidate, SECRET)

    def grid(self) -> Grid:
        return tuple(tuple(self.labels[i * self.width:(i + 1) * self.width]) for i in range(self.height))

    def _canonical(self, k: int) -> int:
        """A count repeated elsewhere (one column: its row total; one row: its column total)
        stands for itself and its copies: they are shown or hidden together."""
        i, j = divmod(k, self.width)
        return (0 if self.height == 2 else i) * self.width + (0 if self.width == 2 else j)

    def _own(self) -> list[int]:
        """The hidden counts to prove, copies left out, by position."""
        return [k for k in range(len(self.values)) if self.labels[k] and self._canonical(k) == k]

    def _set(self, k: int, label: str) -> None:
        for q in range(len(self.values)):
            if self._canonical(q) == k:
                self.labels[q] = label

    def _pinned(self, k: int, labels_only: bool = False) -> bool:
        """Whether ``k`` takes a single value (with nothing but the labels shown, if said)."""
        if labels_only and k in self.pinned_by_labels:
            return True
        free = self.free_by_labels if labels_only else self.free
        if k not in free and self._steps(k, labels_only):
            free.add(k)
        for sign in (1, -1):
            if k not in free:
                weights = np.zeros(len(self.values))
                weights[k] = sign
                self._note(self._move(weights, labels_only), free)
        if labels_only and k not in free:
            self.pinned_by_labels.add(k)
        return k not in free

    def _steps(self, k: int, labels_only: bool) -> bool:
        """Whether ``k`` moves by one step a reader cannot rule out: the corners of a rectangle
        of the grid (totals included), ``k`` one of them, moved by 1 or 5, up or down so that
        every row and column still adds up, each corner hidden (or ``labels_only``) and keeping
        a value its label allows. A quick proof before the solvers: no step proves nothing."""
        i, j = divmod(k, self.width)
        last_i, last_j, cap = self.height - 1, self.width - 1, self.values[-1] + LIMIT
        for row in (r for r in range(self.height) if r != i):
            across = 1 if last_i in (i, row) else -1  # a part and its total move alike, two parts oppositely
            for column in (c for c in range(self.width) if c != j):
                down = 1 if last_j in (j, column) else -1
                corners = [(k, 1), (i * self.width + column, down), (row * self.width + j, across),
                           (row * self.width + column, across * down)]
                if labels_only or all(self.labels[q] for q, _ in corners):
                    for step in (1, -1, LIMIT, -LIMIT):
                        if all(_allowed(self.values[q] + sign * step, self.labels[q], self.values[q], cap)
                               for q, sign in corners):
                            return True
        return False

    def _note(self, table: np.ndarray, free: set[int]) -> None:
        """Every count a possible table gives another value than the truth is free."""
        free.update(np.flatnonzero(np.abs(table - self.values) > 0.5).tolist())

    def _move(self, weights: np.ndarray, labels_only: bool) -> np.ndarray:
        """A whole table a reader cannot rule out that goes furthest along ``weights`` (the
        least ``weights @ table``); the true table when none goes further.

        The reader knows the shown counts (none if ``labels_only``), that a « < 5 » is 1 to 4,
        an « s » 0 or 5 and more (a « < 5 » turned into « s »: any count), and that rows and
        columns add up. Counts are capped at the grand total plus 5: a cap only narrows what
        is tried, so it may hide one count too many, never one too few.

        « 0 or 5 and more » is not an interval, so the exact answer needs integer programming,
        but linear programs settle most cases first. With each « s » anywhere from 0 (looser
        than the reader): when nothing moves, nothing moves for the reader either; with each
        « s » on the side of 5 its count is on (stricter): what moves, moves for the reader
        too. Both are networks: their optima are whole tables."""
        hidden = [q for q in range(len(self.values)) if self.labels[q] or labels_only]
        shown = [q for q in range(len(self.values)) if not (self.labels[q] or labels_only)]
        values, objective = self.values[hidden], weights[hidden]
        small = np.array([self.labels[q] == SMALL for q in hidden], dtype=bool)
        semi = ~small & ((values == 0) | (values >= LIMIT))  # not a « < 5 » turned into « s »
        low, high = np.where(small, 1, 0), np.where(small, LIMIT - 1, self.values[-1] + LIMIT)
        equations, rest = self.equations[:, hidden], -self.equations[:, shown] @ self.values[shown]
        table = self.values.copy()

        def lowest(bounds: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
            result = linprog(objective, A_eq=equations, b_eq=rest, bounds=np.column_stack(bounds), method="highs")
            return _solved(result)

        loose = lowest((low, high))
        if objective @ loose >= objective @ values:  # no move, even for a looser reader
            return table
        for x in (loose, lowest((np.where(semi & (values > 0), LIMIT, low), np.where(semi & (values == 0), 0, high)))):
            if objective @ x < objective @ values and not np.any(semi & (x > 0) & (x < LIMIT)):
                table[hidden] = x
                return table
        table[hidden] = _solved(milp(objective, constraints=LinearConstraint(equations, rest, rest),
                                     bounds=Bounds(np.where(semi, LIMIT, low), high),
                                     integrality=np.where(semi, 3, 1)))  # 3: semi-integer, 0 or within bounds
        return table

    def _candidate(self, pinned: int) -> int | None:
        """The shown count to hide next for ``pinned``: in its least hidden row or column
        first, the smallest non-zero value, cells before totals, then by position."""
        own_lines = [line for line in self.lines if pinned in line]

        def key(q: int) -> tuple[int, int, bool, float, bool, int]:
            shared = [sum(bool(self.labels[p]) for p in line) for line in own_lines if q in line]
            i, j = divmod(q, self.width)
            total = i == self.height - 1 or j == self.width - 1
            return (not shared, min(shared, default=0), self.values[q] == 0, self.values[q], total, q)

        shown = [q for q in range(len(self.values)) if not self.labels[q] and self._canonical(q) == q]
        # A count the labels alone pin would tell its value hidden or not: hiding it helps nobody.
        return next((q for q in sorted(shown, key=key) if not self._pinned(q, labels_only=True)), None)

    def _to_demote(self, pinned: int) -> int:
        """The « < 5 » to show as « s » when the labels pin ``pinned``: itself, else the first
        of its row or column, else the first of all (one exists: with no « < 5 » left, every
        count can grow by 5 with its row's, its column's and the grand total)."""
        if self.labels[pinned] == SMALL:
            return pinned
        near = sorted({q for line in self.lines if pinned in line for q in line})
        small = [q for q in [*near, *range(len(self.values))] if self.labels[q] == SMALL]
        return self._canonical(small[0])


def _allowed(value: float, label: str | None, true: float, cap: float) -> bool:
    """Whether a reader who knows only the labels may give a count of that label that value."""
    if label == SMALL:
        return 1 <= value < LIMIT
    if 0 < true < LIMIT:  # a « < 5 » turned into « s »: any count
        return 0 <= value <= cap
    return value == 0 or LIMIT <= value <= cap


def _solved(result: OptimizeResult) -> np.ndarray:
    """The whole table a solver found; the true table always fits, so a failure is a bug,
    raised, never a silent leak."""
    if result.status != 0:
        raise RuntimeError(f"small-cell suppression: {result.message}")
    return np.round(np.asarray(result.x, dtype=float))
