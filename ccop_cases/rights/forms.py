"""Forms of the register of rights requests (shape only: the rules are ``rights.services``')."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from ccop_cases.cases.forms import valid_email, valid_phone
from ccop_cases.fields import choice_field, date_field, text_field
from ccop_cases.rights.lists import CHANNELS, EXTENSION_REASONS, IDENTITY_CHECKS, KINDS, REFUSALS, REQUESTERS
from ccop_cases.rights.services import KEEP_YEARS


class NewRequestForm(FlaskForm):
    """A request as received; who asks is sealed under the request's own key."""

    submission_id = HiddenField(validators=[InputRequired("Formulaire expiré : rechargez la page."),
                                            Regexp(r"^[0-9a-f-]{36}$", message="Formulaire expiré : rechargez "
                                                                               "la page.")])
    kind = choice_field("Type de demande", KINDS)
    received_on = date_field("Date de réception")
    channel = choice_field("Canal de réception", CHANNELS)
    requester = choice_field("Demandeur", REQUESTERS)
    last_name = text_field("Nom du demandeur", 100)
    given_names = text_field("Prénoms du demandeur", 150)
    address = text_field("Adresse de réponse", 250, required=False)
    email = StringField("Courriel de réponse", validators=[Optional(), Length(max=254), valid_email])
    phone = StringField("Téléphone", validators=[Optional(), Length(max=30), valid_phone])


class IdentityCheckForm(FlaskForm):
    identity_check = choice_field("Justificatif de l’identité du demandeur", IDENTITY_CHECKS)
    checked_on = date_field("Vérifiée le")


class SearchForm(FlaskForm):
    """The young person's exact identity: used for the search only, never kept."""

    last_name = text_field("Nom de la personne suivie", 100)
    given_names = text_field("Prénoms", 150)
    birth_date = date_field("Date de naissance")


class LinkForm(FlaskForm):
    case_id = HiddenField(validators=[InputRequired("Choisissez une situation."),
                                      Regexp(r"^[0-9a-f-]{36}$", message="Situation inconnue.")])


class ExtendForm(FlaskForm):
    reason = choice_field("Motif de la prolongation (communiqué à la personne)", EXTENSION_REASONS, required=False)


class AnswerForm(FlaskForm):
    answer = choice_field("Réponse apportée", {})  # the request kind's answers, set by the view
    answered_on = date_field("Date de la réponse")
    confirm = BooleanField("Je confirme l’effacement définitif des situations liées (crypto-effacement)")


class RefuseForm(FlaskForm):
    refusal_reason = choice_field("Motif légal du refus (communiqué à la personne, avec le droit de saisir la CNIL)",
                                  REFUSALS, required=False)
    refused_on = date_field("Date du refus")


class WithdrawForm(FlaskForm):
    withdrawn_on = date_field("Date du retrait")


class LiftForm(FlaskForm):
    confirm = BooleanField("Je confirme la levée de la limitation")


class KeepForm(FlaskForm):
    years = choice_field("Conservation des demandes closes (années après la réponse)",
                         {str(n): f"{n} an{'s' if n > 1 else ''}" for n in KEEP_YEARS})

