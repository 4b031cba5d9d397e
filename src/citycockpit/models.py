"""Every domain's tables, imported in one explicit list so Alembic sees the whole schema."""

from citycockpit.audit import models as audit_models
from citycockpit.auth import models as auth_models
from citycockpit.core import stamps as core_stamps
from citycockpit.db import Base
from citycockpit.events import models as events_models
from citycockpit.events.analytics import models as events_kpi_models
from citycockpit.events.storage import models as events_storage_models
from citycockpit.events.surges import models as events_surge_models
from citycockpit.goals import models as goals_models
from citycockpit.indicators import models as indicators_models
from citycockpit.ops import models as ops_models
from citycockpit.org import models as org_models
from citycockpit.projects import models as projects_models
from citycockpit.report import models as report_models
from citycockpit.screen import models as screen_models

metadata = Base.metadata

__all__ = [
    "metadata",
    "audit_models",
    "auth_models",
    "core_stamps",
    "events_kpi_models",
    "events_models",
    "events_storage_models",
    "events_surge_models",
    "goals_models",
    "indicators_models",
    "ops_models",
    "org_models",
    "projects_models",
    "report_models",
    "screen_models",
]
