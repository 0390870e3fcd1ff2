"""Amounts in euros as the French write them: « 12 500,00 € » shown, « 12 500,00 » or
« 12500,5 » typed (a decimal comma; a point is refused, as « 12.500 » could mean either),
stored as a whole number of cents."""

from __future__ import annotations

import re

SPACE = "\u00a0"  # no-break space: between groups of digits and before the sign
MAX_CENTS = 10**13  # 100 billion euros: beyond any grant, and within a BIGINT
_AMOUNT = re.compile(r"(\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:,(\d{1,2}))?")
FORMAT_HINT = "Montant en euros avec une virgule décimale, par exemple 12 500,00."


def euros(cents: int) -> str:
    """« 12 500,00 € »: groups of three digits, a decimal comma, the sign after a space."""
    whole, part = divmod(abs(cents), 100)
    grouped = f"{whole:,}".replace(",", SPACE)
    return f"{'-' if cents < 0 else ''}{grouped},{part:02d}{SPACE}€"


def parse_euros(text: str) -> int:
    """The cents of an amount typed in French (« 12 500,00 », « 12500 », « 12 500,5 € »);
    a ValueError with a French message otherwise."""
    value = text.strip().removesuffix("€").strip()
    match = _AMOUNT.fullmatch(value)
    if match is None:
        raise ValueError(FORMAT_HINT)
    whole = int(re.sub(r"\D", "", match.group(1)))
    cents = whole * 100 + int((match.group(2) or "0").ljust(2, "0"))
    if cents >= MAX_CENTS:
        raise ValueError("Montant trop élevé : vérifiez le nombre de chiffres.")
    return cents


def typed(cents: int) -> str:
    """The amount as a form shows it back for correction: « 12 500,00 » (no sign)."""
    return euros(cents).removesuffix(SPACE + "€")
