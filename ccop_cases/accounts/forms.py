"""Account forms (shape only; the services decide)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, Optional

from ccop_cases.security.inputs import clean

REQUIRED = "Ce champ est obligatoire."


class LoginForm(FlaskForm):
    username = StringField("Identifiant", validators=[
        InputRequired(REQUIRED), Length(max=64, message="64 caractères au plus."), clean()])
    password = PasswordField("Mot de passe", validators=[
        InputRequired(REQUIRED), Length(max=256, message="256 caractères au plus.")])


class CodeForm(FlaskForm):
    code = StringField("Code à 6 chiffres ou code de secours", validators=[
        InputRequired(REQUIRED), Length(max=32, message="Code trop long.")])


class EnrolForm(FlaskForm):
    code = StringField("Code à 6 chiffres affiché par l'application", validators=[
        InputRequired(REQUIRED), Length(max=32, message="Code trop long.")])


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Mot de passe actuel", validators=[Length(max=256, message="256 caractères au plus.")])
    password = PasswordField("Nouveau mot de passe (12 caractères au moins)", validators=[
        InputRequired(REQUIRED), Length(max=256, message="256 caractères au plus.")])
    confirm = PasswordField("Confirmez le mot de passe", validators=[
        InputRequired(REQUIRED),
        EqualTo("password", message="Les deux saisies ne sont pas identiques.")])



class NameForm(FlaskForm):
    """How a person is shown: set by themself (``ProfileForm``) or by the charter administrator."""

    display_name = StringField("Nom affiché (prénom et nom, ex. « Camille Martin »)", validators=[
        Optional(), Length(max=120, message="120 caractères au plus."), clean()])
    function = StringField("Fonction (ex. « Cheffe de service, Éducation nationale »)", validators=[
        Optional(), Length(max=160, message="160 caractères au plus."), clean()])


class ProfileForm(NameForm):
    """The person's own account page; the e-mail address is checked by the service."""

    email = EmailField("Adresse électronique professionnelle (pour les rappels uniquement)", validators=[
        Optional(), Length(max=254, message="254 caractères au plus."), clean()])
    reminders = BooleanField("Recevoir les rappels par courriel")
