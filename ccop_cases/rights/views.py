"""The DPO's register of the persons' requests (R12): record a request, check who asks, find
the situations it concerns, extend, answer, refuse; the person's own record; rectification.

Every route goes through ``load_request`` (the council's DPO only; another council's request
answers 404) and every act is audited by its service in the request's transaction.
"""

from __future__ import annotations

from flask import Blueprint
from werkzeug.wrappers import Response

bp = Blueprint("rights", __name__, url_prefix="/droits")
Page = str | Response | tuple[str, int]
