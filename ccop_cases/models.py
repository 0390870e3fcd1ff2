"""Imports every model module so that ``Base.metadata`` knows every table (Alembic, tests)."""

from ccop_cases.accounts import models as accounts_models
from ccop_cases.auditing import models as auditing_models
from ccop_cases.cases import models as cases_models
from ccop_cases.charter import models as charter_models
from ccop_cases.identities import models as identities_models
from ccop_cases.meetings import models as meetings_models

__all__ = ["accounts_models", "auditing_models", "cases_models", "charter_models", "identities_models",
           "meetings_models"]
