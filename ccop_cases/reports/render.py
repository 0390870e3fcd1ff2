"""A report as it is shown: every table through ``suppression.publish``, every measure through
``suppression.measure``, laid out as lines of text cells once, for the page, the print view,
the charts, the CSV and the ODS files alike.

This is the one place where a ``Report`` of raw counts becomes something to show; nothing
after it reads ``Table.counts``, so a count from 1 to 4, or one hidden to protect it, can only
ever appear as « < 5 » or « s » (the secret statistique).
"""

from __future__ import annotations

from dataclasses import dataclass

from ccop_cases.reports import suppression
from ccop_cases.reports.model import Period, Report, Section, Table
from ccop_cases.reports.suppression import Published, Shown

TOTAL = "Total"
NO_ROW = "Aucune donnée pour cette période."
# The legend every report carries (page, print, files, charts).
LEGEND = ((suppression.SMALL, "effectif compris entre 1 et 4, masqué (secret statistique)"),
          (suppression.SECRET, "valeur masquée pour qu’aucun effectif de 1 à 4 ne puisse être recalculé à partir "
                               "des totaux ou des autres valeurs (secret statistique)"))


@dataclass(frozen=True)
class Line:
    """One row of a published table: its label, its text columns, then its counts as shown
    (with the row's total last when the table publishes totals)."""

    label: str
    extra: tuple[str, ...]
    cells: tuple[Shown, ...]
    total: bool = False  # the line of the column totals


@dataclass(frozen=True)
class Grid:
    """A published table, ready to lay out: the header, then the lines."""

    key: str
    title: str
    header: tuple[str, ...]
    extra_count: int  # how many text columns follow the row header
    lines: tuple[Line, ...]
    chart: str | None
    published: Published

    @property
    def empty(self) -> bool:
        """No row at all (no FIPD action, no refusal): said in words, neither a table nor a chart."""
        return not self.published.table.rows

    @property
    def series(self) -> tuple[str, ...]:
        """What a chart draws for each row: the row's total when published, else each column."""
        return (TOTAL,) if self.published.row_totals is not None else self.published.table.columns

    def bars(self) -> list[tuple[str, tuple[Shown, ...]]]:
        """Each row's label and its published values, one per series (hidden ones included, as hidden)."""
        published = self.published
        if published.row_totals is not None:
            return [(label, (total,)) for label, total in zip(published.table.rows, published.row_totals, strict=True)]
        return [(label, cells) for label, cells in zip(published.table.rows, published.cells, strict=True)]


@dataclass(frozen=True)
class ShownSection:
    title: str
    note: str
    measures: tuple[tuple[str, str], ...]  # (label, published value with its unit, or « s »)
    grids: tuple[Grid, ...]


@dataclass(frozen=True)
class ShownReport:
    kind: str
    title: str
    scope: str
    period: Period
    sections: tuple[ShownSection, ...]

    def grid(self, key: str) -> Grid | None:
        return next((grid for section in self.sections for grid in section.grids if grid.key == key), None)


def grid(table: Table) -> Grid:
    """The table published (small cells suppressed), as lines of text cells."""
    published = suppression.publish(table)
    header = (table.row_header, *table.extra_columns, *table.columns)
    extras = table.extra or tuple(() for _ in table.rows)
    lines = []
    for i, (label, extra, cells) in enumerate(zip(table.rows, extras, published.cells, strict=True)):
        row_total = (published.row_totals[i],) if published.row_totals is not None else ()
        lines.append(Line(label, tuple(extra), (*cells, *row_total)))
    # A table without rows has nothing to total; totals that do not match the columns are not laid out.
    if published.column_totals is not None and table.rows and len(published.column_totals) == len(table.columns):
        corner = (published.total,) if published.row_totals is not None and published.total is not None else ()
        lines.append(Line(TOTAL, ("",) * len(table.extra_columns), (*published.column_totals, *corner), total=True))
    if published.row_totals is not None:
        header = (*header, TOTAL)
    return Grid(table.key, table.title, header, len(table.extra_columns), tuple(lines), table.chart, published)


def section(source: Section) -> ShownSection:
    return ShownSection(source.title, source.note,
                        tuple((m.label, suppression.measure(m)) for m in source.measures),
                        tuple(grid(table) for table in source.tables))


def show(report: Report) -> ShownReport:
    """The report as it may be shown and exported."""
    return ShownReport(report.kind, report.title, report.scope, report.period,
                       tuple(section(s) for s in report.sections))
