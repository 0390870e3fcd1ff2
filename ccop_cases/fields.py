"""Form fields shared by every form: French parse errors (WTForms' own are English) and the
usual text, closed-list and date fields with their French messages."""

from __future__ import annotations

from typing import Any

from wtforms import SelectField, StringField, TextAreaField, fields
from wtforms.validators import InputRequired, Length, Optional

from ccop_cases.security.inputs import clean

REQUIRED = "Ce champ est obligatoire."
DATE = "Date attendue au format AAAA-MM-JJ."


class DateField(fields.DateField):
    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(DATE) from exc


class DateTimeLocalField(fields.DateTimeLocalField):
    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError("Date et heure attendues au format AAAA-MM-JJ HH:MM.") from exc


def text_field(label: str, maximum: int, *, required: bool = True, multiline: bool = False) -> Any:
    """A text field capped at ``maximum`` characters, refusing control characters."""
    kind = TextAreaField if multiline else StringField
    first = InputRequired(REQUIRED) if required else Optional()
    return kind(label, validators=[first, Length(max=maximum, message=f"{maximum} caractères au plus."),
                                   clean(multiline)])


def choice_field(label: str, choices: dict[str, str], *, required: bool = True) -> SelectField:
    """A closed list: any other code is refused with « Choix inconnu. »."""
    options = choices if required else {"": "—", **choices}
    return SelectField(label, choices=options, invalid_choice_message="Choix inconnu.",
                       validators=[InputRequired(REQUIRED)] if required else [Optional()])


def date_field(label: str, *, required: bool = True, extra: tuple[Any, ...] = ()) -> DateField:
    """A date typed as AAAA-MM-JJ; an empty required one says « Ce champ est obligatoire. » like
    any other field (a wrong format says so)."""
    return DateField(label, validators=[InputRequired(REQUIRED) if required else Optional(), *extra],
                     format="%Y-%m-%d")
