"""Small cells (issue 15): counts of 1 to 4 never published, and no hidden count recomputable."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ccop_cases.reports.suppression import SMALL, bounds, lines, share, suppress, with_totals


def _hidden(result):
    return {(i, j) for i, row in enumerate(result.grid) for j, value in enumerate(row) if value is None}


def _complete(full, hidden, small, fixed):
    """A whole table consistent with what is published and with ``fixed``, or None: a search
    whose every answer is checked against the equations (the pruning only saves time)."""
    box = bounds(full, hidden, small, fixed)
    if any(low > high for low, high in box.values()):
        return None
    free = [p for p in sorted(hidden) if p not in fixed]
    if not free:
        values = {**{p: full[p[0]][p[1]] for row in range(len(full)) for p in [(row, c) for c in range(len(full[0]))]
                     if p not in hidden}, **fixed}
        ok = all(sum(values[p] for p in line[:-1]) == values[line[-1]] for line in lines(full))
        return values if ok else None
    p = free[0]
    for value in range(box[p][0], box[p][1] + 1):
        found = _complete(full, hidden, small, {**fixed, p: value})
        if found is not None:
            return found
    return None


def _two_values(full, hidden, small, p):
    """Two whole tables, both consistent with what is published, that differ at ``p``."""
    first = _complete(full, hidden, small, {})
    assert first is not None, "the true table itself fits"
    box = bounds(full, hidden, small)
    for value in range(box[p][0], box[p][1] + 1):
        if value != first[p] and _complete(full, hidden, small, {p: value}) is not None:
            return True
    return False


def test_counts_of_one_to_four_show_as_less_than_five_totals_included():
    result = suppress([[1, 10, 0], [12, 3, 9]])
    assert result.shown(0, 0) == f"< {SMALL}" and result.shown(1, 1) == f"< {SMALL}"
    assert "s" in {result.shown(0, j) for j in (1, 2)}  # and another count of the row is hidden
    assert suppress([[0, 7], [6, 8]]).grid == ((0, 7, 7), (6, 8, 14), (6, 15, 21))  # nothing small: all shown
    assert suppress([[2, 0], [0, 0]]).shown(0, 2) == f"< {SMALL}"  # the row total 2 too


def test_no_row_or_column_keeps_a_single_hidden_count():
    result = suppress([[1, 10, 7], [12, 6, 9], [8, 8, 8]])
    hidden = _hidden(result)
    for line in lines(with_totals([[1, 10, 7], [12, 6, 9], [8, 8, 8]])):
        assert sum(p in hidden for p in line) != 1


def test_a_share_of_a_hidden_count_is_hidden():
    assert share(None, 40) is None and share(3, None) is None and share(10, 40) == 25


def test_a_negative_count_is_refused():
    try:
        suppress([[1, -1]])
    except ValueError:
        return
    raise AssertionError("a negative count must be refused")


COUNTS = st.sampled_from([0, 0, 1, 2, 3, 4, 5, 6, 7, 9, 12])
TABLES = st.integers(1, 3).flatmap(
    lambda width: st.lists(st.lists(COUNTS, min_size=width, max_size=width), min_size=1, max_size=3))


@settings(max_examples=150, deadline=None)
@given(TABLES)
def test_no_hidden_count_can_be_derived_from_what_is_published(table):
    result = suppress(table)
    full = with_totals(table)
    hidden = _hidden(result)
    small = set(result.small)
    assert {(i, j) for i, row in enumerate(full) for j, v in enumerate(row) if 0 < v < SMALL} <= hidden
    for p in hidden:
        assert _two_values(full, hidden, small, p), (table, p)
