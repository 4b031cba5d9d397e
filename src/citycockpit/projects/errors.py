"""Errors of the projects domain, each with a stable code (listed in docs/api.md)."""

from citycockpit.core.errors import Conflict, NotFound, Unprocessable
from citycockpit.core.periods import InvalidPeriod as InvalidPeriod  # months are parsed in core.periods


class ProjectNotFound(NotFound):
    code = "project_not_found"


class ProjectCodeTaken(Conflict):
    code = "project_code_taken"


class InvalidProject(Unprocessable):
    code = "invalid_project"


class StageUnchanged(Conflict):
    code = "project_stage_unchanged"


class StageReasonRequired(Unprocessable):
    code = "project_stage_reason_required"


class InvalidStageDate(Unprocessable):
    code = "project_stage_date_invalid"


class InvalidPlan(Unprocessable):
    code = "invalid_project_plan"


class InvalidProgress(Unprocessable):
    code = "invalid_project_progress"


class InvalidSigning(Unprocessable):
    code = "invalid_signing"
