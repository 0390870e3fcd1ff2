"""The error summary atop a refused form (RGAA 11.10): each error of the page's forms, in the
order the fields are shown, as a link to its field; a form's own errors (a refusal of the
whole form) first, without a link.

The layout (``base.html``) shows it on every page: the forms are found among the values the
view passed to the template, so no form page has to include it itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from flask import Flask
from jinja2 import pass_context
from jinja2.runtime import Context
from wtforms import Field, Form
from wtforms.widgets import HiddenInput, ListWidget


@dataclass(frozen=True)
class Item:
    message: str
    target: str | None  # the id of the element to focus; None for the form's own errors


def is_choice_group(field: Field) -> bool:
    """A list of checkboxes or radio buttons: its label is a legend, its first box the target."""
    return isinstance(field.widget, ListWidget)


def target(field: Field) -> str | None:
    """The id the summary links to: the field, the first box of a group, none for a hidden field."""
    if isinstance(field.widget, HiddenInput) or field.type == "CSRFTokenField":
        return None
    return f"{field.id}-0" if is_choice_group(field) else field.id


def _fields(form: Form) -> Iterator[tuple[str, Field]]:
    """Each field with the legend of its section (``SECTIONS``, when the form has them), in page order."""
    listed: set[str] = set()
    for legend, names in getattr(form, "SECTIONS", ()):
        for name in names:
            listed.add(name)
            yield legend, form[name]
    for field in form:
        if field.name not in listed:
            yield "", field


def _label(legend: str, field: Field) -> str:
    label = field.label.text if field.label else ""
    legend = legend.split(" (")[0]  # « Représentant légal 1 (facultatif) » → « Représentant légal 1 »
    return f"{legend} — {label}" if legend and label else label or legend


def items(form: Form) -> list[Item]:
    found = [Item(message, None) for message in form.form_errors]
    for legend, field in _fields(form):
        where = target(field)
        label = _label(legend, field) if where else ""
        found += [Item(f"{label} : {message}" if label else message, where) for message in field.errors]
    return found


@pass_context
def error_summary(context: Context) -> list[Item]:
    """The errors of every form the view passed to the template, in the order it passed them."""
    found: list[Item] = []
    for value in context.get_all().values():
        if isinstance(value, Form):
            found += items(value)
    return found


def register(app: Flask) -> None:
    app.jinja_env.globals["error_summary"] = error_summary
    app.jinja_env.tests["choice_group"] = is_choice_group
