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
    widgets,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from ccop_cases.cases import lists
from ccop_cases.cases.rectification import Correction, Current
from ccop_cases.fields import REQUIRED, choice_field, date_field, text_field
from ccop_cases.identities.services import Identity
from ccop_cases.web import runtime as rt

EARLIEST_BIRTH = date(1990, 1, 1)
_PHONE = re.compile(r"^(0\d{9}|\+\d{8,15})$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def valid_phone(_form: Any, field: Any) -> None:
    if field.data and not _PHONE.match(re.sub(r"[ .\-]", "", field.data)):
        raise ValidationError("Numéro de téléphone invalide (par exemple 06 12 34 56 78 ou +33 6 12 34 56 78).")


def valid_email(_form: Any, field: Any) -> None:
    if field.data and (len(field.data) > 254 or not _EMAIL.match(field.data)):
        raise ValidationError("Adresse électronique invalide (par exemple prenom.nom@exemple.fr).")


def an_id(_form: Any, field: Any) -> None:
    """A choice of the database (an objective, a FIPD action) is an id: anything else is unknown.
    Which ids the person may choose is the service's check (another group's: R22)."""
    if field.data and not _ID.fullmatch(field.data):
        raise ValidationError("Choix inconnu.")


def id_field(label: str) -> SelectField:
    """An optional choice among rows of the database, the choices set by the view; the empty
    value is « — »."""
    return SelectField(label, choices=[], validate_choice=False, validators=[Optional(), an_id])


def valid_birth_date(_form: Any, field: Any) -> None:
    if field.data and field.data > rt.today():
        raise ValidationError("La date de naissance ne peut pas être dans le futur.")
    if field.data and field.data < EARLIEST_BIRTH:
        raise ValidationError("Date de naissance antérieure à 1990 : ce suivi concerne les 12-25 ans.")


class ProposeForm(FlaskForm):
    """The proposal, in the sections the page shows, the required ones first (``SECTIONS``)."""

    last_name = text_field("Nom", 100, required=True)
    given_names = text_field("Prénoms", 150, required=True)
    sex = choice_field("Sexe", lists.SEXES)
    birth_date = date_field("Date de naissance", extra=(valid_birth_date,))
    confirm_under_12 = BooleanField("Je confirme le suivi malgré un âge inférieur à 12 ans")
    school_situation = choice_field("Situation scolaire ou professionnelle", lists.SCHOOL_SITUATIONS)
    purpose = choice_field("Finalité du suivi", lists.PURPOSES)
    referral_origin = choice_field("Origine du signalement", lists.REFERRAL_ORIGINS)
    exposure_factors = SelectMultipleField(
        "Facteurs d’exposition (des faits, jamais des diagnostics)", choices=lists.EXPOSURE_FACTORS,
        option_widget=widgets.CheckboxInput(), widget=widgets.ListWidget(prefix_label=False),
        invalid_choice_message="Choix inconnu.", validate_choice=True)
    rep1_last_name = text_field("Nom", 100, required=False)
    rep1_given_names = text_field("Prénoms", 150, required=False)
    rep1_address = text_field("Adresse", 250, required=False)
    rep1_phone = StringField("Téléphone", validators=[Optional(), Length(max=30), valid_phone])
    rep1_email = StringField("Courriel", validators=[Optional(), Length(max=254), valid_email])
    inside_perimeter = BooleanField("La situation relève du périmètre du groupe", default=True)
    override_reason = choice_field("Motif de dérogation au périmètre (coordonnateur)", lists.PERIMETER_OVERRIDES,
                              required=False)
    address = text_field("Adresse", 250, required=False)
    phone = StringField("Téléphone", validators=[Optional(), Length(max=30), valid_phone])
    email = StringField("Courriel", validators=[Optional(), Length(max=254), valid_email])
    rep2_last_name = text_field("Nom", 100, required=False)
    rep2_given_names = text_field("Prénoms", 150, required=False)
    rep2_address = text_field("Adresse", 250, required=False)
    rep2_phone = StringField("Téléphone", validators=[Optional(), Length(max=30), valid_phone])
    rep2_email = StringField("Courriel", validators=[Optional(), Length(max=254), valid_email])
    note = text_field(f"Point d’attention (facultatif, {280} caractères au plus)", 280, multiline=True, required=False)
    note_attested = BooleanField("J’atteste que ce point d’attention ne contient aucune information couverte par "
                                 "le secret professionnel et qu’il est strictement nécessaire (R5).")
    objective = id_field("Objectif du groupe (facultatif)")
    submission_id = HiddenField()

    # (legend, fields): the page's fieldsets in order; the error summary names a field by
    # its legend too (« Représentant légal 1 — Téléphone »: three fields are labelled so).
    SECTIONS = (
        ("Le jeune (obligatoire)", ("last_name", "given_names", "sex", "birth_date", "confirm_under_12")),
        ("La situation (obligatoire)", ("school_situation", "purpose", "referral_origin", "exposure_factors",
                                        "objective")),
        ("Représentant légal 1 (obligatoire pour un mineur)",
         ("rep1_last_name", "rep1_given_names", "rep1_phone", "rep1_email", "rep1_address")),
        ("Périmètre (R23)", ("inside_perimeter", "override_reason")),
        ("Coordonnées du jeune (facultatif)", ("address", "phone", "email")),
        ("Représentant légal 2 (facultatif)",
         ("rep2_last_name", "rep2_given_names", "rep2_phone", "rep2_email", "rep2_address")),
        ("Point d’attention (facultatif)", ("note", "note_attested")),
    )

    def validate_submission_id(self, field: Any) -> None:
        if not re.fullmatch(r"[0-9a-f-]{36}", field.data or ""):
            raise ValidationError("Formulaire incomplet : rechargez la page.")


class InformForm(FlaskForm):
    who = choice_field("Personne informée", lists.INFORMED_WHO)
    informed_on = date_field("Date de l’information", required=False)
    means = choice_field("Moyen", lists.INFORMATION_MEANS, required=False)
    derogation_reason = choice_field("Ou : motif de dérogation", lists.DEROGATION_REASONS, required=False)
    review_date = date_field("Réexamen de la dérogation", required=False)


class ActionForm(FlaskForm):
    """The codes in force of the maintained lists, the group's objectives of the year and the
    council's FIPD actions in force are the choices the view sets."""

    action_type = choice_field("Type d’action", {})
    start_date = date_field("Début")
    end_date = date_field("Fin", required=False)
    outcome = choice_field("Résultat", {})
    objective = id_field("Objectif (facultatif)")
    fipd_action = id_field("Action financée par le FIPD (vide : non financée)")


class EndActionForm(FlaskForm):
    """The outcomes in force other than « En cours » are the choices the view sets."""

    end_date = date_field("Fin")
    outcome = choice_field("Résultat", {})


class ObjectiveForm(FlaskForm):
    objective = id_field("Objectif du groupe")


class ParticipantForm(FlaskForm):
    membership = SelectField("Membre du groupe", choices=[], invalid_choice_message="Choix inconnu.")
    reason = choice_field("Motif", lists.ADD_REASONS)


class DecisionForm(FlaskForm):
    decision = choice_field("Décision", lists.DECISIONS)
    next_review = date_field("Prochain réexamen", required=False)


class CloseForm(FlaskForm):
    reason = choice_field("Motif de clôture", {})  # the codes in force, set by the view
    confirm = BooleanField("Je confirme la clôture : la situation ne sera plus modifiable et sera effacée à "
                           "l’issue du délai de conservation.",
                           validators=[InputRequired("Cochez la case pour confirmer.")])


class ArchiveReasonForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: the reason code travels in the URL (a code, never personal)

    motif = choice_field("Motif de consultation", lists.ARCHIVE_READ_REASONS)


class SearchForm(FlaskForm):
    last_name = text_field("Nom", 100, required=True)
    given_names = text_field("Prénom", 150, required=True)
    birth_date = date_field("Date de naissance", extra=(valid_birth_date,))


class RemovalForm(FlaskForm):
    # No preset reason: the coordonnateur chooses one (the empty first option is refused).
    reason = SelectField("Motif du retrait", choices={"": "— choisir —", **lists.REMOVAL_REASONS},
                         invalid_choice_message="Choix inconnu.", validators=[InputRequired(REQUIRED)])
    confirm = BooleanField("Je confirme le retrait : ce membre n’aura plus accès à cette situation.",
                           validators=[InputRequired("Cochez la case pour confirmer.")])



class ConfirmForm(FlaskForm):
    confirm = BooleanField("Je confirme", validators=[InputRequired("Cochez la case pour confirmer.")])


PERSON_FIELDS = ("last_name", "given_names", "address", "phone", "email")
REPRESENTATIVE_FIELDS = ("last_name", "given_names", "phone", "email", "address")  # in the page's order


class RectifyForm(FlaskForm):
    """A rectification at the person's request (R12, GDPR art. 16), filled with the situation's
    data as it stands. ``rights_request``: the request it answers, among the rectification
    requests in progress naming the situation (choices set by the view; the DPO's own route
    names it in its URL and drops the field)."""

    rights_request = SelectField("Demande de rectification à laquelle répond la correction", choices=[],
                                 invalid_choice_message="Choix inconnu.", validators=[InputRequired(REQUIRED)])
    last_name = text_field("Nom", 100, required=True)
    given_names = text_field("Prénoms", 150, required=True)
    sex = choice_field("Sexe", lists.SEXES)
    birth_date = date_field("Date de naissance", extra=(valid_birth_date,))
    address = text_field("Adresse", 250, required=False)
    phone = StringField("Téléphone", validators=[Optional(), Length(max=30), valid_phone])
    email = StringField("Courriel", validators=[Optional(), Length(max=254), valid_email])
    rep1_last_name = text_field("Nom", 100, required=False)
    rep1_given_names = text_field("Prénoms", 150, required=False)
    rep1_phone = StringField("Téléphone", validators=[Optional(), Length(max=30), valid_phone])
    rep1_email = StringField("Courriel", validators=[Optional(), Length(max=254), valid_email])
    rep1_address = text_field("Adresse", 250, required=False)
    rep2_last_name = text_field("Nom", 100, required=False)
    rep2_given_names = text_field("Prénoms", 150, required=False)
    rep2_phone = StringField("Téléphone", validators=[Optional(), Length(max=30), valid_phone])
    rep2_email = StringField("Courriel", validators=[Optional(), Length(max=254), valid_email])
    rep2_address = text_field("Adresse", 250, required=False)
    school_situation = choice_field("Situation scolaire ou professionnelle", lists.SCHOOL_SITUATIONS)
    exposure_factors = SelectMultipleField(
        "Facteurs d’exposition (des faits, jamais des diagnostics)", choices=lists.EXPOSURE_FACTORS,
        option_widget=widgets.CheckboxInput(), widget=widgets.ListWidget(prefix_label=False),
        invalid_choice_message="Choix inconnu.", validate_choice=True)
    note = text_field("Point d’attention (facultatif, 280 caractères au plus)", 280, multiline=True, required=False)
    note_attested = BooleanField("J’atteste que ce point d’attention ne contient aucune information couverte par "
                                 "le secret professionnel et qu’il est strictement nécessaire (R5).")

    SECTIONS = (
        ("Le jeune", ("last_name", "given_names", "sex", "birth_date", "address", "phone", "email")),
        ("Représentant légal 1", tuple(f"rep1_{name}" for name in REPRESENTATIVE_FIELDS)),
        ("Représentant légal 2", tuple(f"rep2_{name}" for name in REPRESENTATIVE_FIELDS)),
        ("La situation", ("school_situation", "exposure_factors")),
        ("Point d’attention", ("note", "note_attested")),
    )

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields, then: a representative's details without their name cannot be recorded
        (an empty optional field stops its own validators, so this is the form's check)."""
        valid: bool = super().validate(extra_validators)
        for n in (1, 2):
            field = self[f"rep{n}_last_name"]
            if not (field.data or "").strip() and any((self[f"rep{n}_{name}"].data or "").strip()
                                                      for name in REPRESENTATIVE_FIELDS):
                field.errors = [*field.errors, "Indiquez le nom du représentant légal, ou videz ses autres champs."]
                valid = False
        return valid

    def fill(self, now: Current) -> None:
        """Pre-fill the form with the situation's data as it stands."""
        for name in (*PERSON_FIELDS, "sex", "birth_date"):
            self[name].data = getattr(now.young, name)
        for n, rep in enumerate(now.representatives, 1):
            for name in PERSON_FIELDS:
                self[f"rep{n}_{name}"].data = getattr(rep, name) if rep else None
        self.school_situation.data = now.school_situation
        self.exposure_factors.data = now.exposure_factors
        self.note.data = now.note

    def correction(self) -> Correction:
        """The situation as the submitted form says it should be."""
        def text(name: str) -> str | None:
            return (self[name].data or "").strip() or None

        young = Identity(text("last_name") or "", text("given_names") or "", self.birth_date.data,
                         self.sex.data, text("address"), text("phone"), text("email"))
        reps = [Identity(text(f"rep{n}_last_name") or "", text(f"rep{n}_given_names") or "", None, None,
                         text(f"rep{n}_address"), text(f"rep{n}_phone"), text(f"rep{n}_email"))
                if text(f"rep{n}_last_name") else None for n in (1, 2)]
        return Correction(young, reps, self.school_situation.data or "", list(self.exposure_factors.data or []),
                          self.note.data or "", self.note_attested.data)

