"""Session forms."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, TextAreaField, widgets
from wtforms.validators import UUID, InputRequired, Length

from ccop_cases.fields import DateTimeLocalField
from ccop_cases.security.inputs import clean
from ccop_cases.web.timefmt import LABEL, from_paris


def _checkboxes(label: str) -> SelectMultipleField:
    return SelectMultipleField(label, choices=[], option_widget=widgets.CheckboxInput(),
                               widget=widgets.ListWidget(prefix_label=False), invalid_choice_message="Choix inconnu.")


class ParisDateTimeField(DateTimeLocalField):
    """A ``datetime-local`` value read as the time in Paris; ``data`` is the aware UTC moment.
    A time that the change of time skips or repeats is refused on the field (French)."""

    data: datetime | None

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None:
            self.data = from_paris(self.data)


class ScheduleForm(FlaskForm):
    when = ParisDateTimeField(f"Date et heure ({LABEL})", format="%Y-%m-%dT%H:%M",
                              validators=[InputRequired("Date et heure attendues.")])


class AgendaForm(FlaskForm):
    cases = _checkboxes("Situations inscrites (références seulement)")


class MoveForm(FlaskForm):
    """Move a situation one place up or down the agenda (its id, checked as a UUID)."""
    case = HiddenField(validators=[InputRequired("Situation attendue."), UUID("Situation inconnue.")])


class AttendanceForm(FlaskForm):
    members = _checkboxes("Membres présents (signataires de la charte en vigueur)")


class MinutesForm(FlaskForm):
    minutes = TextAreaField("Compte rendu (date, présences, nombre de situations, questions générales : aucun nom)",
                            validators=[Length(max=10_000, message="10000 caractères au plus."), clean(True)])
