"""Oversight console forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Optional, Regexp

from ccop_cases.auditing import ACTIONS
from ccop_cases.auditing.catalogue import RULES
from ccop_cases.fields import DateField

REFERENCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{0,15}$"  # S-2026-0042


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class FilterForm(FlaskForm):
    """Filters of the trail, sent by GET: codes, a person's id and a case reference, never a
    name. The people to choose from are set by the view (``personne.choices``)."""

    class Meta:
        csrf = False  # a read-only GET form

    du = DateField("Du", validators=[Optional()], format="%Y-%m-%d")
    au = DateField("Au (inclus)", validators=[Optional()], format="%Y-%m-%d")
    personne = SelectField("Personne (acteur)", choices={"": "Toutes"}, validators=[Optional()],
                           invalid_choice_message="Personne inconnue : choisissez-la dans la liste.")
    action = SelectField("Action", choices={"": "Toutes", **dict(sorted(ACTIONS.items()))},
                         validators=[Optional()], invalid_choice_message="Action inconnue.")
    regle = SelectField("Règle du refus", choices={"": "Toutes", **{rule: f"{rule} : {label}"
                                                                    for rule, label in RULES.items()}},
                        validators=[Optional()], invalid_choice_message="Règle inconnue : choisissez-la dans la liste.")
    journal = SelectField("Journal", choices={"": "Tous"}, validators=[Optional()],
                          invalid_choice_message="Journal inconnu : choisissez-le dans la liste.")
    situation = StringField("Référence de la situation (ex. S-2026-0042)", filters=[_strip], validators=[
        Optional(), Regexp(REFERENCE_PATTERN, message="Une référence de situation s’écrit comme S-2026-0042.")])


class ExportForm(FlaskForm):
    """One chain per archive: the platform's or a council's (choices set by the view)."""

    journal = SelectField("Journal", choices={}, validate_choice=True,
                          invalid_choice_message="Journal inconnu : choisissez-le dans la liste.")
    du = DateField("Du", validators=[Optional()], format="%Y-%m-%d")
    au = DateField("Au (inclus ; vide : jusqu’à maintenant)", validators=[Optional()], format="%Y-%m-%d")
