"""Imports every model module so that ``Base.metadata`` knows every table (Alembic, tests)."""

from ccop_cases.accounts import models as accounts_models
from ccop_cases.auditing import models as auditing_models
from ccop_cases.cases import models as cases_models
from ccop_cases.charter import models as charter_models
from ccop_cases.identities import models as identities_models
from ccop_cases.meetings import models as meetings_models
from ccop_cases.plans import models as plans_models
from ccop_cases.reports import models as reports_models
from ccop_cases.rights import models as rights_models

__all__ = ["accounts_models", "auditing_models", "cases_models", "charter_models", "identities_models",
           "meetings_models", "plans_models", "reports_models",
           "rights_models"]
