"""Forms of the console's closed lists, objectives and FIPD actions (shape only: the rules are
the services'). The choices the database holds are set by the views."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from ccop_cases.fields import REQUIRED, choice_field, text_field
from ccop_cases.plans.indicators import INDICATORS, PROGRAMMES
from ccop_cases.plans.money import parse_euros
from ccop_cases.security.inputs import clean

WHOLE = r"^\d{1,6}$"


def whole_number(label: str, *, required: bool = True) -> StringField:
    """A whole number typed in digits (WTForms' IntegerField would answer in English)."""
    first = InputRequired(REQUIRED) if required else Optional()
    return StringField(label, validators=[first, Regexp(WHOLE, message="Nombre entier attendu, en chiffres.")])


def number(field: Any) -> int | None:
    """The value of a ``whole_number`` field the form validated (None when left empty)."""
    return int(field.data) if field.data else None


def _amount(_form: Any, field: Any) -> None:
    try:
        parse_euros(field.data or "")
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


class CodeForm(FlaskForm):
    code = StringField("Code (définitif : lettres minuscules sans accent, chiffres ou « _ »)", validators=[
        InputRequired(REQUIRED), Length(max=40, message="40 caractères au plus."), clean()])
    label = text_field("Libellé", 160)


class LabelForm(FlaskForm):
    label = text_field("Libellé", 160)


class StateForm(FlaskForm):
    """Retire (with a confirmation) or restore a code, an objective or a FIPD action."""

    action = HiddenField(validators=[InputRequired("Choisissez l’acte : retirer ou rétablir."),
                                     Regexp("^(retire|restore)$", message="Acte inconnu.")])
    confirm = BooleanField("Je confirme le retrait")


class StrategyObjectiveForm(FlaskForm):
    programme = choice_field("Programme de la stratégie nationale", PROGRAMMES)
    label = text_field("Libellé de l’objectif", 200)
    indicator = choice_field("Indicateur (calculé à partir des situations)",
                             {code: label for code, (label, _list) in INDICATORS.items()})
    # « liste:code », grouped by list: the same code may exist in two lists.
    parameter = SelectField("Paramètre de l’indicateur (le code qu’il compte, s’il en prend un)", choices=[],
                            invalid_choice_message="Choix inconnu.", validators=[Optional()])


class FipdForm(FlaskForm):
    reference = StringField("Référence (unique dans le conseil, définitive ; par exemple FIPD-2026-012)",
                            validators=[InputRequired(REQUIRED), Length(max=40, message="40 caractères au plus."),
                                        clean()])
    title = text_field("Intitulé de l’action", 200)
    operator = text_field("Opérateur (une structure, jamais une personne)", 160)
    year = whole_number("Année de financement")
    amount = StringField("Montant accordé, en euros (par exemple 12 500,00)", validators=[
        InputRequired(REQUIRED), Length(max=30, message="30 caractères au plus."), _amount])


class FipdChangeForm(FlaskForm):
    title = text_field("Intitulé de l’action", 200)
    operator = text_field("Opérateur (une structure, jamais une personne)", 160)
    year = whole_number("Année de financement")
    amount = StringField("Montant accordé, en euros (par exemple 12 500,00)", validators=[
        InputRequired(REQUIRED), Length(max=30, message="30 caractères au plus."), _amount])


class GroupObjectiveForm(FlaskForm):
    objective = SelectField("Objectif de la stratégie nationale", choices=[], invalid_choice_message="Choix inconnu.",
                            validators=[InputRequired(REQUIRED)])
    target = whole_number("Cible : nombre visé (facultatif ; par exemple 30 jeunes suivis)", required=False)
    target_share = whole_number("Part visée, en % (facultatif ; par exemple 80)", required=False)


class TargetsForm(FlaskForm):
    target = whole_number("Cible : nombre visé (facultatif)", required=False)
    target_share = whole_number("Part visée, en % (facultatif)", required=False)
