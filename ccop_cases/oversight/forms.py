"""Oversight console forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Optional, Regexp

from ccop_cases.auditing import ACTIONS
from ccop_cases.fields import DateField

ID_PATTERN = r"^[A-Za-z0-9_.:\-]{0,64}$"


class FilterForm(FlaskForm):
    """Filters of the trail, sent by GET (ids and codes only: nothing personal in the URL)."""

    class Meta:
        csrf = False  # a read-only GET form

    du = DateField("Du", validators=[Optional()], format="%Y-%m-%d")
    au = DateField("Au (inclus)", validators=[Optional()], format="%Y-%m-%d")
    acteur = StringField("Identifiant de l’acteur", validators=[
        Optional(), Regexp(ID_PATTERN, message="Un identifiant (lettres, chiffres, « - », « . », « : »).")])
    action = SelectField("Action", choices={"": "Toutes", **dict(sorted(ACTIONS.items()))},
                         validators=[Optional()], invalid_choice_message="Action inconnue.")


class ExportForm(FlaskForm):
    du = DateField("Du", validators=[Optional()], format="%Y-%m-%d")
    au = DateField("Au (inclus ; vide : jusqu’à maintenant)", validators=[Optional()], format="%Y-%m-%d")
