"""What a report is made of, before and after the small cells are suppressed.

A builder (``reports.services``) returns a ``Report`` of raw counts; ``reports.suppression``
turns each ``Table`` into a ``Published`` one; the page, the print view, the charts, the CSV
and the ODS files only ever read the published form. Nothing in a report names a person, a
case reference or a free text: rows and columns are labels of closed lists, objectives,
FIPD actions, institutions or months.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

KINDS = {"fipd": "Bilan des actions financées par le FIPD",
         "annual": "Rapport annuel d’application de la charte (R16)",
         "objectives": "Objectifs du groupe"}


@dataclass(frozen=True)
class Period:
    """Whole months, Paris days: from the first day of ``start``'s month to the last day of
    ``end``'s month, both included."""

    start: date  # a first day of a month
    end: date  # a last day of a month

    @property
    def label(self) -> str:
        return f"du {self.start:%d/%m/%Y} au {self.end:%d/%m/%Y}"


@dataclass(frozen=True)
class Table:
    """Counts of people or events, by row and column.

    ``totals`` says the cells add up: each row's total, each column's total and the grand
    total are published too, and the suppression keeps every hidden cell from being
    recomputed from them. A table whose cells do not add up (a young person counted in two
    rows) has ``totals=False``: its cells are protected one by one. ``extra_columns`` are
    text columns shown before the counts (a target, an amount): never counts of people.
    """

    key: str  # stable: the CSV/ODS sheet and the chart's file name
    title: str
    row_header: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]
    totals: bool = True
    chart: str | None = None  # "bars": one bar per row (the row totals); None: no chart
    extra_columns: tuple[str, ...] = ()
    extra: tuple[tuple[str, ...], ...] = ()  # one tuple per row, as many as extra_columns


@dataclass(frozen=True)
class Measure:
    """A figure derived from counts: a mean delay, a share. Hidden when ``base`` (how many
    people or events it is computed on) is between 1 and 4, or itself suppressed. A lone
    count (``count=True``: sessions held, members excluded) is shown as a table's cell
    would be: 0, « < 5 », or the number. A share also gives its ``part``: hidden too when
    the part, or what the base holds beside it, is between 1 and 4 (« 96 % of 100 » tells
    that 4 were not)."""

    label: str
    value: float | None
    unit: str  # "jours", "%"
    base: int
    count: bool = False
    part: int | None = None  # of a share: the count it is the share of ``base`` of


@dataclass(frozen=True)
class Section:
    title: str
    tables: tuple[Table, ...] = ()
    measures: tuple[Measure, ...] = ()
    note: str = ""  # a fixed sentence of the code, never a user's text


@dataclass(frozen=True)
class Report:
    kind: str  # a key of KINDS
    scope: str  # « Conseil … » or « Groupe … » (names of institutions, never of people)
    period: Period
    sections: tuple[Section, ...] = field(default_factory=tuple)

    @property
    def title(self) -> str:
        return KINDS[self.kind]
