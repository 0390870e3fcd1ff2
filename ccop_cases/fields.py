"""Form fields whose parse errors speak French (WTForms' own messages are English)."""

from __future__ import annotations

from typing import Any

from wtforms import fields


class DateField(fields.DateField):
    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError("Date attendue au format AAAA-MM-JJ.") from exc


class DateTimeLocalField(fields.DateTimeLocalField):
    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError("Date et heure attendues au format AAAA-MM-JJ HH:MM.") from exc
