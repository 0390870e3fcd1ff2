"""Forms of the charter console and of the members' signing page (shape only)."""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from ccop_cases import runtime as rt
from ccop_cases.charter.models import (
    COUNCIL_KINDS,
    INSTITUTIONS,
    LEGAL_BASES,
    ROLES,
    TERRITORY_LABELS,
    TEXT_KINDS,
    VOCATIONS,
)
from ccop_cases.fields import DateField
from ccop_cases.security.inputs import clean

REQUIRED = "Ce champ est obligatoire."
DATE = "Date attendue au format AAAA-MM-JJ."
COMMUNE = re.compile(r"^(\d{5}|2[AB]\d{3}) +\S.*$")


def _text(label: str, maximum: int, *, required: bool = True, multiline: bool = False) -> Any:
    field = TextAreaField if multiline else StringField
    first = InputRequired(REQUIRED) if required else Optional()
    return field(label, validators=[first, Length(max=maximum, message=f"{maximum} caractères au plus."),
                                    clean(multiline)])


def _choice(label: str, choices: dict[str, str]) -> SelectField:
    return SelectField(label, choices=choices, invalid_choice_message="Choix inconnu.")


def _date(label: str, *, required: bool = True) -> DateField:
    return DateField(label, validators=[InputRequired(DATE) if required else Optional()], format="%Y-%m-%d")


def _code() -> StringField:
    return StringField("Code de votre application d’authentification", validators=[
        InputRequired(REQUIRED), Length(max=32, message="Code trop long.")])


def _not_in_future(_form: Any, field: Any) -> None:
    if field.data and field.data > rt.now().date():  # the app's clock (controlled in tests)
        raise ValidationError("La date ne peut pas être dans le futur.")


class CouncilForm(FlaskForm):
    kind = _choice("Type de conseil", COUNCIL_KINDS)
    name = _text("Nom du conseil", 160)
    communes = _text("Communes (une par ligne : code INSEE puis nom)", 4000, multiline=True)

    def validate_communes(self, field: Any) -> None:
        bad = [n for n, line in enumerate(field.data.splitlines(), 1) if line.strip()
               and not COMMUNE.match(line.strip())]
        if bad:
            raise ValidationError(f"Ligne(s) {', '.join(map(str, bad))} : code INSEE à 5 caractères puis le nom.")


class GroupForm(FlaskForm):
    name = _text("Nom du groupe de travail", 160)
    legal_basis = _choice("Base légale", LEGAL_BASES)
    vocation = _choice("Vocation", VOCATIONS)
    perimeter = _text("Périmètre (vocation territoriale)", 2000, required=False, multiline=True)
    theme = _text("Thème (vocation thématique)", 200, required=False)
    is_ccop = BooleanField("Ce groupe est la CCOP (cellule de coordination opérationnelle du partenariat)")
    territory_label = _choice("Territoire prioritaire", TERRITORY_LABELS)


class ActForm(FlaskForm):
    act_date = DateField("Date de la délibération", validators=[InputRequired(DATE), _not_in_future],
                         format="%Y-%m-%d")
    reference = _text("Référence de l’acte", 120)
    document = _text("Texte de l’acte (collé ; seule son empreinte SHA-256 est conservée)", 100_000,
                     multiline=True)


class StatusForm(FlaskForm):
    action = HiddenField(validators=[InputRequired(), Regexp("^(constitute|suspend|dissolve)$")])
    reason = _text("Motif", 300, required=False)
    confirm = BooleanField("Je confirme cet acte")


class TextForm(FlaskForm):
    kind = HiddenField(validators=[InputRequired(), Regexp(f"^({'|'.join(TEXT_KINDS)})$")])
    text = _text("Texte intégral", 60_000, multiline=True)
    adopted_on = DateField("Adopté le", validators=[InputRequired(DATE), _not_in_future], format="%Y-%m-%d")
    step = HiddenField(default="preview")


class DesignationForm(FlaskForm):
    username = StringField("Identifiant de connexion (nouveau ou existant)", validators=[
        InputRequired(REQUIRED), Length(max=64, message="64 caractères au plus."),
        Regexp(r"^[A-Za-z0-9._-]+$", message="Lettres, chiffres, « . », « _ » ou « - » uniquement.")])
    institution = _choice("Institution", INSTITUTIONS)
    function = _text("Fonction", 120)
    role = _choice("Rôle dans le groupe", ROLES)
    reference = _text("Référence de la désignation (courrier, arrêté…)", 120)
    start_date = _date("Début")
    end_date = _date("Fin (facultative)", required=False)


class EndDateForm(FlaskForm):
    end_date = _date("Nouvelle date de fin (vide : sans fin)", required=False)


class ReasonForm(FlaskForm):
    reason = _text("Motif", 300)


class ExcludeForm(FlaskForm):
    reason = _text("Motif de l’exclusion (manquement constaté)", 300)
    confirm = BooleanField("Je confirme l’exclusion : toutes les sessions de cette personne prennent fin "
                           "immédiatement et seule une nouvelle désignation permettra son retour.",
                           validators=[InputRequired("Cochez la case pour confirmer.")])
    code = _code()


class CodeOnlyForm(FlaskForm):
    code = _code()


class DeploymentForm(FlaskForm):
    aipd_reference = _text("Référence de l’analyse d’impact (AIPD)", 120)
    dpo_designation = _text("Numéro de désignation du DPO auprès de la CNIL", 160)
    register_entry = _text("Référence au registre des traitements", 120)
    code = _code()


class SignForm(FlaskForm):
    accept = BooleanField("J’ai lu ces textes et je m’engage à les respecter.",
                          validators=[InputRequired("Cochez la case pour signer.")])
    code = _code()


class ConfirmForm(FlaskForm):
    """Only the CSRF token: a one-button act."""
