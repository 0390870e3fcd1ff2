"""Forms of the case workspace (shape only). The user's input is kept on every error."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from ccop_cases import runtime as rt
from ccop_cases.cases import lists
from ccop_cases.fields import DateField
from ccop_cases.security.inputs import clean

REQUIRED = "Ce champ est obligatoire."
DATE = "Date attendue au format AAAA-MM-JJ."
EARLIEST_BIRTH = date(1990, 1, 1)
_PHONE = re.compile(r"^(0\d{9}|\+\d{8,15})$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def _text(label: str, maximum: int, *, required: bool = False, multiline: bool = False) -> Any:
    kind = TextAreaField if multiline else StringField
    first = InputRequired(REQUIRED) if required else Optional()
    return kind(label, validators=[first, Length(max=maximum, message=f"{maximum} caractères au plus."),
                                   clean(multiline)])


def _choice(label: str, choices: dict[str, str], *, required: bool = True) -> SelectField:
    options = choices if required else {"": "—", **choices}
    return SelectField(label, choices=options, invalid_choice_message="Choix inconnu.",
                       validators=[InputRequired(REQUIRED)] if required else [Optional()])


def _date(label: str, *, required: bool = True) -> DateField:
    return DateField(label, validators=[InputRequired(DATE) if required else Optional()], format="%Y-%m-%d")


def valid_phone(_form: Any, field: Any) -> None:
    if field.data and not _PHONE.match(re.sub(r"[ .\-]", "", field.data)):
        raise ValidationError("Numéro de téléphone invalide (par exemple 06 12 34 56 78 ou +33 6 12 34 56 78).")


def valid_email(_form: Any, field: Any) -> None:
    if field.data and (len(field.data) > 254 or not _EMAIL.match(field.data)):
        raise ValidationError("Adresse électronique invalide (par exemple prenom.nom@exemple.fr).")


def valid_birth_date(_form: Any, field: Any) -> None:
    if field.data and field.data > rt.now().date():
        raise ValidationError("La date de naissance ne peut pas être dans le futur.")
    if field.data and field.data < EARLIEST_BIRTH:
        raise ValidationError("Date de naissance antérieure à 1990 : ce suivi concerne les 12-25 ans.")


class ProposeForm(FlaskForm):
    last_name = _text("Nom", 100, required=True)
    given_names = _text("Prénoms", 150, required=True)
    sex = _choice("Sexe", lists.SEXES)
    birth_date = DateField("Date de naissance", validators=[InputRequired(DATE), valid_birth_date], format="%Y-%m-%d")
    address = _text("Adresse", 250)
    phone = StringField("Téléphone", validators=[Optional(), Length(max=30), valid_phone])
    email = StringField("Courriel", validators=[Optional(), Length(max=254), valid_email])
    rep1_last_name = _text("Nom", 100)
    rep1_given_names = _text("Prénoms", 150)
    rep1_address = _text("Adresse", 250)
    rep1_phone = StringField("Téléphone", validators=[Optional(), Length(max=30), valid_phone])
    rep1_email = StringField("Courriel", validators=[Optional(), Length(max=254), valid_email])
    rep2_last_name = _text("Nom", 100)
    rep2_given_names = _text("Prénoms", 150)
    rep2_address = _text("Adresse", 250)
    rep2_phone = StringField("Téléphone", validators=[Optional(), Length(max=30), valid_phone])
    rep2_email = StringField("Courriel", validators=[Optional(), Length(max=254), valid_email])
    school_situation = _choice("Situation scolaire ou professionnelle", lists.SCHOOL_SITUATIONS)
    purpose = _choice("Finalité du suivi", lists.PURPOSES)
    referral_origin = _choice("Origine du signalement", lists.REFERRAL_ORIGINS)
    exposure_factors = SelectMultipleField(
        "Facteurs d’exposition (des faits, jamais des diagnostics)", choices=lists.EXPOSURE_FACTORS,
        option_widget=widgets.CheckboxInput(), widget=widgets.ListWidget(prefix_label=False),
        invalid_choice_message="Choix inconnu.", validate_choice=True)
    note = _text(f"Point d’attention (facultatif, {280} caractères au plus)", 280, multiline=True)
    note_attested = BooleanField("J’atteste que ce point d’attention ne contient aucune information couverte par "
                                 "le secret professionnel et qu’il est strictement nécessaire (R5).")
    inside_perimeter = BooleanField("La situation relève du périmètre du groupe", default=True)
    override_reason = _choice("Motif de dérogation au périmètre (coordonnateur)", lists.PERIMETER_OVERRIDES,
                              required=False)
    confirm_under_12 = BooleanField("Je confirme le suivi malgré un âge inférieur à 12 ans")
    submission_id = HiddenField()

    def validate_submission_id(self, field: Any) -> None:
        if not re.fullmatch(r"[0-9a-f-]{36}", field.data or ""):
            raise ValidationError("Formulaire incomplet : rechargez la page.")


class InformForm(FlaskForm):
    who = _choice("Personne informée", lists.INFORMED_WHO)
    informed_on = _date("Date de l’information", required=False)
    means = _choice("Moyen", lists.INFORMATION_MEANS, required=False)
    derogation_reason = _choice("Ou : motif de dérogation", lists.DEROGATION_REASONS, required=False)
    review_date = _date("Réexamen de la dérogation", required=False)


class ActionForm(FlaskForm):
    action_type = _choice("Type d’action", lists.ACTION_TYPES)
    start_date = _date("Début")
    end_date = _date("Fin", required=False)
    outcome = _choice("Résultat", lists.ACTION_OUTCOMES)
    fipd_funded = BooleanField("Financée par le FIPD")
    fipd_reference = StringField("Référence de l’action FIPD", validators=[
        Optional(), Length(max=40), clean()])


class ParticipantForm(FlaskForm):
    membership = SelectField("Membre du groupe", choices=[], invalid_choice_message="Choix inconnu.")
    reason = _choice("Motif", lists.ADD_REASONS)


class DecisionForm(FlaskForm):
    decision = _choice("Décision", lists.DECISIONS)
    next_review = _date("Prochain réexamen", required=False)


class CloseForm(FlaskForm):
    reason = _choice("Motif de clôture", lists.CLOSING_REASONS)
    confirm = BooleanField("Je confirme la clôture : la situation ne sera plus modifiable et sera effacée à "
                           "l’issue du délai de conservation.",
                           validators=[InputRequired("Cochez la case pour confirmer.")])


class ArchiveReasonForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: the reason code travels in the URL (a code, never personal)

    motif = _choice("Motif de consultation", lists.ARCHIVE_READ_REASONS)


class SearchForm(FlaskForm):
    last_name = _text("Nom", 100, required=True)
    given_names = _text("Prénom", 150, required=True)
    birth_date = DateField("Date de naissance", validators=[InputRequired(DATE)], format="%Y-%m-%d")


class RemovalForm(FlaskForm):
    reason = _choice("Motif du retrait", lists.REMOVAL_REASONS)


class ConfirmForm(FlaskForm):
    """Only the CSRF token: a one-button act."""
