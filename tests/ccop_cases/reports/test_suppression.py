"""Small cells (issue 15): no count of 1 to 4 is published, and no hidden count can be
recomputed from what is — checked on known tables and on random ones, by integer programming
over the whole table built here from the published form alone (not the module's reasoning),
and for tiny tables by trying every table, with no solver."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from ccop_cases.reports.model import Measure, Table
from ccop_cases.reports.suppression import SECRET, SMALL, Published, Shown, measure, protect, publish, share

NNBSP = "\u202f"
S, L = SECRET, SMALL  # short names for the expected grids


def table(counts, totals=True) -> Table:
    return Table(key="t", title="T", row_header="R", rows=tuple(f"r{i}" for i in range(len(counts))),
                 columns=tuple(f"c{j}" for j in range(len(counts[0]) if counts else 0)),
                 counts=tuple(map(tuple, counts)), totals=totals)


def truth(counts) -> np.ndarray:
    """The cells with their row totals, column totals and grand total: (m + 1) x (n + 1)."""
    cells = np.array(counts, dtype=int).reshape(len(counts), -1)
    with_rows = np.hstack([cells, cells.sum(axis=1, keepdims=True)])
    return np.vstack([with_rows, with_rows.sum(axis=0, keepdims=True)])


def shown_grid(published: Published) -> dict[tuple[int, int], Shown]:
    """Where each published count sits in the grid with totals (copies not repeated)."""
    height, width = len(published.table.counts), len(published.table.columns)
    grid = {(i, j): shown for i, row in enumerate(published.cells) for j, shown in enumerate(row)}
    grid.update({(i, width): shown for i, shown in enumerate(published.row_totals or ())})
    grid.update({(height, j): shown for j, shown in enumerate(published.column_totals or ())})
    assert published.total is not None
    grid[height, width] = published.total
    return grid


def attacker_ranges(published: Published, true: np.ndarray) -> dict[tuple[int, int], tuple[int, int | None]]:
    """For every hidden count, its least value and a second value if one exists (None if
    not), found by integer programming on what a reader knows: the shown counts, « < 5 »
    from 1 to 4, « s » 0 or from 5 on (« < 5 » goes to every count from 1 to 4), what is not
    shown any count, and each row and column adding up to its total. Only a « s » hiding a
    count of 1 to 4 (the labels alone pinned it) is taken as any count: a reader cannot
    tell it from the others, ``true`` says which it is."""
    height, width = true.shape
    index = {(i, j): i * width + j for i in range(height) for j in range(width)}
    lines = [[(i, j) for j in range(width)] for i in range(height)] + [[(i, j) for i in range(height)]
                                                                       for j in range(width)]
    equations = np.zeros((len(lines), height * width))
    for row, line in enumerate(lines):
        for position in line[:-1]:
            equations[row, index[position]] = 1
        equations[row, index[line[-1]]] = -1
    # HiGHS needs a finite bound on a semi-integer count: a bound only narrows what is tried,
    # so it may report a pin that is not there, never miss one.
    size = height * width
    low, high, kind = np.zeros(size), np.full(size, 10.0 * true.max() + 100), np.ones(size)
    grid = shown_grid(published)
    for position, shown in grid.items():
        k = index[position]
        if shown.value is not None:
            low[k] = high[k] = shown.value
        elif shown.text == SMALL:
            low[k], high[k] = 1, 4
        elif not 1 <= true[position] <= 4:
            low[k], kind[k] = 5, 3  # semi-integer: 0, or 5 and more
    ranges = {}
    for position, shown in grid.items():
        if shown.value is None:
            k = index[position]
            least = _solve(equations, low, high, kind, k)
            assert least is not None, "the true table fits what is published"
            above, plain = low.copy(), kind.copy()
            above[k], plain[k] = max(low[k], least + 1), 1  # any whole count above the least
            ranges[position] = (least, None if above[k] > high[k] else _solve(equations, above, high, plain, k))
    return ranges


def _solve(equations, low, high, kind, k) -> int | None:
    objective = np.zeros(len(low))
    objective[k] = 1
    result = milp(objective, constraints=LinearConstraint(equations, 0, 0), bounds=Bounds(low, high), integrality=kind)
    return round(result.x[k]) if result.status == 0 else None


def assert_safe(counts) -> Published:
    """What must hold of any table: the shown counts are true, the 1 to 4 hidden, a « < 5 »
    tells the truth, and every hidden count can take two values given what is published."""
    published = publish(table(counts))
    true = truth(counts)
    for (i, j), shown in shown_grid(published).items():
        if shown.value is not None:
            assert shown.value == true[i, j] and not 1 <= shown.value <= 4
            assert shown.text == f"{shown.value:,}".replace(",", NNBSP)
        else:
            assert shown.text in {SMALL, SECRET}
            assert shown.text != SMALL or 1 <= true[i, j] <= 4
    for position, (least, second) in attacker_ranges(published, true).items():
        assert second is not None, f"{counts}: the hidden count at {position} is pinned to {least}"
    return published


def labels(counts) -> list[list[str | None]]:
    return [list(row) for row in protect(counts)]


# The tables where propagating bounds one equation at a time found nothing pinned, wrongly.
LESSONS = [[[0, 1], [0, 1], [1, 1]], [[0, 0, 2], [0, 1, 0], [0, 2, 5]], [[0, 0, 5], [5, 0, 1], [5, 0, 1]]]


def test_counts_of_one_to_four_show_less_than_five_and_a_neighbour_is_hidden():
    assert labels([[1, 10, 0], [12, 3, 9]]) == [[L, S, None, None], [S, L, None, None], [None] * 4]
    assert_safe([[1, 10, 0], [12, 3, 9]])


def test_a_secret_count_is_taken_as_zero_or_five_and_more_as_a_reader_would():
    # « < 5 », « s », 6 would give away 1 and 5: an « s » is never 1 to 4 (that shows « < 5 »).
    published = assert_safe([[1, 5]])
    assert [c.text for c in published.cells[0]] == [SMALL, SECRET] and published.total == Shown(None, SECRET)
    # The zero stays shown: the labels alone say it (its row's total is at most 4).
    assert labels([[4, 0], [9, 9]]) == [[L, None, L], [S, S, S], [S, S, None]]
    assert_safe([[4, 0], [9, 9]])


def test_zeros_and_counts_of_five_or_more_are_all_published():
    published = publish(table([[0, 7], [6, 8]]))
    assert [[c.text for c in row] for row in published.cells] == [["0", "7"], ["6", "8"]]
    assert published.row_totals == (Shown(7, "7"), Shown(14, "14"))
    assert published.column_totals == (Shown(6, "6"), Shown(15, "15"))
    assert published.total == Shown(21, "21")


def test_a_total_of_one_to_four_shows_less_than_five():
    assert labels([[2, 0], [0, 0]]) == [[L, None, L], [None, None, None], [L, None, L]]


@pytest.mark.parametrize("counts", LESSONS)
def test_pins_found_only_by_combining_rows_and_columns_are_protected(counts):
    assert_safe(counts)


def test_the_first_lesson_table_needs_more_than_hiding():
    # Every count but two zeros is 1 to 4: the labels alone pin them (the grand total is at
    # most 4 and the three row totals at least 1, 1 and 2), so a « < 5 » becomes « s ».
    assert labels(LESSONS[0]) == [[None, S, S], [None, L, L], [L, L, L], [L, L, L]]


def test_a_table_of_ones_is_protected_by_turning_a_small_cell_into_a_secret_one():
    grid = labels([[1, 1], [1, 1]])
    assert grid == [[S, L, L], [L, L, L], [L, L, L]]
    assert_safe([[1, 1], [1, 1]])


def test_a_row_of_ones_pinned_by_its_labels_alone_turns_a_small_cell_into_a_secret_one():
    # Four counts of at least 1 under a total of at most 4: hiding other counts cannot help.
    assert labels([[1, 1, 1, 1]]) == [[S, L, L, L, L], [S, L, L, L, L]]
    assert labels([[1, 1, 1, 1], [9, 8, 7, 6]]) == [[S, L, L, L, L], [S, S, S, S, S], [S, None, None, S, None]]
    assert_safe([[1, 1, 1, 1], [9, 8, 7, 6]])
    assert_safe([[1, 1, 1, 1]])


def test_a_single_count_is_published_once():
    published = publish(table([[3]]))
    assert published.cells == ((Shown(None, SMALL),),)
    assert (published.row_totals, published.column_totals, published.total) == (None, None, Shown(None, SMALL))
    assert publish(table([[7]])).total == Shown(7, "7")


def test_one_column_has_no_row_totals_and_its_total_is_the_grand_total():
    published = assert_safe([[1], [7], [9]])
    assert [row[0].text for row in published.cells] == [SMALL, SECRET, "9"]
    assert published.row_totals is None
    assert published.column_totals == (Shown(17, "17"),) and published.total == Shown(17, "17")


def test_one_row_has_no_column_totals():
    published = assert_safe([[2, 8, 9]])
    assert [c.text for c in published.cells[0]] == [SMALL, SECRET, "9"]
    assert published.column_totals is None
    assert published.row_totals == (Shown(19, "19"),) and published.total == Shown(19, "19")


def test_without_totals_each_cell_is_protected_on_its_own():
    published = publish(table([[1, 0, 7], [4, 5, 12]], totals=False))
    assert [[c.text for c in row] for row in published.cells] == [[SMALL, "0", "7"], [SMALL, "5", "12"]]
    assert (published.row_totals, published.column_totals, published.total) == (None, None, None)


def test_a_table_without_rows_publishes_zero_totals():
    published = publish(table([]))
    assert published.cells == () and published.total == Shown(0, "0")


@pytest.mark.parametrize("counts", [[[1, -1]], [[1, 2], [3]]])
def test_negative_counts_and_ragged_rows_are_refused(counts):
    with pytest.raises(ValueError, match="never negative"):
        protect(counts)


def test_a_large_table_of_ones_is_protected():
    assert_safe([[1] * 6 for _ in range(12)])


COUNTS = st.sampled_from([0, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 8, 12, 30])
TABLES = st.integers(1, 5).flatmap(
    lambda width: st.lists(st.lists(COUNTS, min_size=width, max_size=width), min_size=1, max_size=5))


@settings(derandomize=True, max_examples=200, deadline=None)
@given(TABLES)
@example([[0, 1], [0, 1], [1, 1]])
# Found leaking while « s » was taken as any count: a reader knows it is 0 or 5 and more.
@example([[1, 6, 5, 9, 0]])
@example([[0, 5, 0, 12], [1, 0, 0, 4]])
@example([[4, 3, 0, 6], [6, 9, 9, 3], [5, 9, 0, 1]])
@example([[1, 4, 2, 0, 3], [0, 3, 9, 2, 1], [3, 0, 6, 9, 9]])
def test_no_hidden_count_of_a_random_table_can_be_recomputed(counts):
    assert_safe(counts)


def possible_values(published: Published, true: np.ndarray) -> dict[tuple[int, int], set[int]]:
    """Every value each hidden count takes over all tables (cells up to the grand total
    plus 5) that a reader cannot rule out: no solver, every table tried."""
    height, width = true.shape[0] - 1, true.shape[1] - 1
    axes = np.meshgrid(*[np.arange(true[-1, -1] + 6)] * (height * width), indexing="ij")
    cells = np.stack([axis.ravel() for axis in axes], axis=1).reshape(-1, height, width)
    counts = {(i, j): cells[:, i, j] for i in range(height) for j in range(width)}
    counts.update({(i, width): cells[:, i].sum(axis=1) for i in range(height)})
    counts.update({(height, j): cells[:, :, j].sum(axis=1) for j in range(width)})
    counts[height, width] = cells.sum(axis=(1, 2))
    fits = np.ones(len(cells), dtype=bool)
    grid = shown_grid(published)
    for position, shown in grid.items():
        count = counts[position]
        if shown.value is not None:
            fits &= count == shown.value
        elif shown.text == SMALL:
            fits &= (count >= 1) & (count <= 4)
        elif not 1 <= true[position] <= 4:  # as in attacker_ranges
            fits &= (count == 0) | (count >= 5)
    return {position: set(counts[position][fits].tolist()) for position, shown in grid.items() if shown.value is None}


TINY = st.integers(1, 2).flatmap(
    lambda width: st.lists(st.lists(st.sampled_from([0, 0, 1, 2, 3, 4, 5, 6, 9]), min_size=width, max_size=width),
                           min_size=1, max_size=2))


@settings(derandomize=True, max_examples=100, deadline=None)
@given(TINY)
@example([[1, 5]])  # « < 5 », « s », 6: the 1 and the 5 if « s » could be 1 to 4
@example([[1, 1], [1, 1]])
def test_no_hidden_count_of_a_tiny_table_has_a_single_value_over_every_table_tried(counts):
    published, true = publish(table(counts)), truth(counts)
    for position, values in possible_values(published, true).items():
        assert true[position] in values and len(values) >= 2, (counts, position, values)


def test_a_measure_is_written_in_french_or_hidden():
    assert measure(Measure("Délai moyen", 12.5, "jours", 8)) == f"12,5{NNBSP}jours"
    assert measure(Measure("Part", 40.0, "%", 20)) == f"40{NNBSP}%"
    assert measure(Measure("Délai moyen", 1234.56, "jours", 8)) == f"1{NNBSP}234,6{NNBSP}jours"
    assert measure(Measure("Délai moyen", 3.0, "jours", 4)) == SECRET  # on 1 to 4 people
    assert measure(Measure("Délai moyen", None, "jours", 12)) == SECRET  # itself suppressed
    assert measure(Measure("Délai moyen", None, "jours", 0)) == "—"  # on nobody


@pytest.mark.parametrize("part,base,shown", [(10, 20, f"50{NNBSP}%"), (0, 20, f"0{NNBSP}%"), (20, 20, f"100{NNBSP}%"),
                                             (4, 71, SECRET), (1, 20, SECRET), (96, 100, SECRET), (16, 20, SECRET),
                                             (15, 20, f"75{NNBSP}%")],
                         ids=["both sides large", "none", "all", "a part of 4", "a part of 1", "4 left out of 100",
                              "4 left out of 20", "5 left out"])
def test_a_share_is_hidden_when_its_part_or_the_rest_of_its_base_is_small(part, base, shown):
    assert measure(Measure("Part", 100 * part / base, "%", base, part=part)) == shown


@pytest.mark.parametrize("n,shown", [(0, f"0{NNBSP}membres"), (1, SMALL), (4, SMALL), (5, f"5{NNBSP}membres"),
                                     (1234, f"1{NNBSP}234{NNBSP}membres")])
def test_a_lone_count_is_shown_as_a_cell_would_be(n, shown):
    assert measure(Measure("Membres exclus", n, "membres", n, count=True)) == shown


def test_a_share_of_a_hidden_count_is_hidden():
    published = publish(table([[1, 10, 0], [12, 3, 9]]))
    (small, secret, zero, row_total), whole = published.cells[0] + published.row_totals[:1], published.total
    assert share(small, row_total) == SECRET and share(secret, row_total) == SECRET
    assert share(zero, row_total) == f"0{NNBSP}%"
    assert share(row_total, whole) == f"31,4{NNBSP}%"  # 11 of 35
    assert share(Shown(10, "10"), Shown(25, "25")) == f"40{NNBSP}%"
    assert share(Shown(0, "0"), Shown(0, "0")) == "—"
    assert share(Shown(5, "5"), Shown(None, SMALL)) == SECRET
