"""Forms of the charter console and of the members' signing page (shape only)."""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import InputRequired, Length, Regexp, ValidationError

from ccop_cases.charter.models import (
    COUNCIL_KINDS,
    INSTITUTIONS,
    LEGAL_BASES,
    ROLES,
    TERRITORY_LABELS,
    TEXT_KINDS,
    VOCATIONS,
)
from ccop_cases.fields import REQUIRED, choice_field, date_field, text_field
from ccop_cases.security.inputs import clean
from ccop_cases.web import runtime as rt

COMMUNE = re.compile(r"^(\d{5}|2[AB]\d{3}) +\S.*$")


def _code() -> StringField:
    return StringField("Code de votre application d’authentification", validators=[
        InputRequired(REQUIRED), Length(max=32, message="Code trop long.")])


def _not_in_future(_form: Any, field: Any) -> None:
    if field.data and field.data > rt.today():  # the app's clock (controlled in tests)
        raise ValidationError("La date ne peut pas être dans le futur.")


class CouncilForm(FlaskForm):
    kind = choice_field("Type de conseil", COUNCIL_KINDS)
    name = text_field("Nom du conseil", 160)
    communes = text_field("Communes (une par ligne : code INSEE puis nom)", 4000, multiline=True)

    def validate_communes(self, field: Any) -> None:
        bad = [n for n, line in enumerate(field.data.splitlines(), 1) if line.strip()
               and not COMMUNE.match(line.strip())]
        if bad:
            raise ValidationError(f"Ligne(s) {', '.join(map(str, bad))} : code INSEE à 5 caractères puis le nom.")


class DpoForm(FlaskForm):
    username = text_field("Identifiant du délégué à la protection des données", 80)


class GroupForm(FlaskForm):
    name = text_field("Nom du groupe de travail", 160)
    legal_basis = choice_field("Base légale", LEGAL_BASES)
    vocation = choice_field("Vocation", VOCATIONS)
    perimeter = text_field("Périmètre (vocation territoriale)", 2000, required=False, multiline=True)
    theme = text_field("Thème (vocation thématique)", 200, required=False)
    is_ccop = BooleanField("Ce groupe est la CCOP (cellule de coordination opérationnelle du partenariat)")
    territory_label = choice_field("Territoire prioritaire", TERRITORY_LABELS)


class ActForm(FlaskForm):
    act_date = date_field("Date de la délibération", extra=(_not_in_future,))
    reference = text_field("Référence de l’acte", 120)
    document = text_field("Texte de l’acte (collé ; seule son empreinte SHA-256 est conservée)", 100_000,
                     multiline=True)


class StatusForm(FlaskForm):
    """Constitute or suspend; dissolution has its own page (``DissolveForm``)."""

    action = HiddenField(validators=[InputRequired("Choisissez l’acte : constituer ou suspendre le groupe."), Regexp(
        "^(constitute|suspend)$", message="La dissolution ne se fait pas ici : ouvrez « Dissoudre le groupe… », "
                                          "qui demande le nom du groupe et un code.")])
    reason = text_field("Motif", 300, required=False)
    confirm = BooleanField("Je confirme cet acte")


class DissolveForm(FlaskForm):
    name = StringField("Nom exact du groupe, recopié pour confirmer", validators=[
        InputRequired(REQUIRED), Length(max=160, message="160 caractères au plus."), clean()])
    reason = text_field("Motif (facultatif)", 300, required=False)
    code = _code()


class TextForm(FlaskForm):
    kind = HiddenField(validators=[InputRequired(), Regexp(f"^({'|'.join(TEXT_KINDS)})$")])
    text = text_field("Texte intégral", 60_000, multiline=True)
    adopted_on = date_field("Adopté le", extra=(_not_in_future,))
    step = HiddenField(default="preview")
    previewed = HiddenField()  # SHA-256 of the text whose differences and effect were shown


class DesignationForm(FlaskForm):
    username = StringField("Identifiant de connexion (nouveau ou existant)", validators=[
        InputRequired(REQUIRED), Length(max=64, message="64 caractères au plus."),
        Regexp(r"^[A-Za-z0-9._-]+$", message="Lettres, chiffres, « . », « _ » ou « - » uniquement.")])
    display_name = text_field("Nom affiché (facultatif ; un compte qui en a déjà un le garde)", 120,
                              required=False)
    institution = choice_field("Institution", INSTITUTIONS)
    function = text_field("Fonction", 120)
    role = choice_field("Rôle dans le groupe", ROLES)
    reference = text_field("Référence de la désignation (courrier, arrêté…)", 120)
    start_date = date_field("Début")
    end_date = date_field("Fin (facultative)", required=False)


class EndDateForm(FlaskForm):
    end_date = date_field("Nouvelle date de fin (vide : sans fin)", required=False)


class ReasonForm(FlaskForm):
    reason = text_field("Motif", 300)


class ExcludeForm(FlaskForm):
    reason = text_field("Motif de l’exclusion (manquement constaté)", 300)
    confirm = BooleanField("Je confirme l’exclusion : toutes les sessions de cette personne prennent fin "
                           "immédiatement et seule une nouvelle désignation permettra son retour.",
                           validators=[InputRequired("Cochez la case pour confirmer.")])
    code = _code()


class CodeOnlyForm(FlaskForm):
    code = _code()


class DeploymentForm(FlaskForm):
    aipd_reference = text_field("Référence de l’analyse d’impact (AIPD)", 120)
    dpo_designation = text_field("Numéro de désignation du DPO auprès de la CNIL", 160)
    register_entry = text_field("Référence au registre des traitements", 120)
    code = _code()


class SignForm(FlaskForm):
    accept = BooleanField("J’ai lu ces textes et je m’engage à les respecter.",
                          validators=[InputRequired("Cochez la case pour signer.")])
    code = _code()


class ConfirmForm(FlaskForm):
    """Only the CSRF token: a one-button act."""
