"""Account forms (shape only; the services decide)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

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

