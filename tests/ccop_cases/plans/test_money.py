"""Amounts in euros as the French write them, stored in cents."""

from __future__ import annotations

import pytest

from ccop_cases.plans.money import euros, parse_euros, typed


@pytest.mark.parametrize("cents,shown", [(1_250_000, "12\u00a0500,00\u00a0€"), (0, "0,00\u00a0€"),
                                         (99, "0,99\u00a0€"), (123_456_789, "1\u00a0234\u00a0567,89\u00a0€")])
def test_amounts_are_shown_the_french_way(cents, shown):
    assert euros(cents) == shown
    assert parse_euros(typed(cents)) == cents  # shown back in a form, read again unchanged


@pytest.mark.parametrize("typed_in,cents", [("12 500,00", 1_250_000), ("12500", 1_250_000), ("12 500,5", 1_250_050),
                                            ("12\u00a0500,00 €", 1_250_000), ("12\u202f500", 1_250_000),
                                            ("0,07", 7), (" 8000 ", 800_000)])
def test_amounts_typed_with_a_decimal_comma_are_read_in_cents(typed_in, cents):
    assert parse_euros(typed_in) == cents


@pytest.mark.parametrize("typed_in", ["12.500", "12,500,00", "12 50", "-5", "douze", "", "1,234", "12 500,00 $",
                                      "9" * 12])
def test_other_amounts_are_refused_in_french(typed_in):
    with pytest.raises(ValueError, match=r"Montant|virgule"):
        parse_euros(typed_in)
