"""Session forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, TextAreaField, widgets
from wtforms.validators import InputRequired, Length

from ccop_cases.fields import DateTimeLocalField
from ccop_cases.security.inputs import clean


def _checkboxes(label: str) -> SelectMultipleField:
    return SelectMultipleField(label, choices=[], option_widget=widgets.CheckboxInput(),
                               widget=widgets.ListWidget(prefix_label=False), invalid_choice_message="Choix inconnu.")


class ScheduleForm(FlaskForm):
    when = DateTimeLocalField("Date et heure", format="%Y-%m-%dT%H:%M",
                              validators=[InputRequired("Date et heure attendues.")])


class AgendaForm(FlaskForm):
    cases = _checkboxes("Situations inscrites (références seulement)")


class AttendanceForm(FlaskForm):
    members = _checkboxes("Membres présents (signataires de la charte en vigueur)")


class MinutesForm(FlaskForm):
    minutes = TextAreaField("Compte rendu (date, présences, nombre de situations, questions générales : aucun nom)",
                            validators=[Length(max=10_000, message="10000 caractères au plus."), clean(True)])
