"""Errors of the goals domain, each with a stable code (listed in docs/api.md)."""

from citycockpit.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from citycockpit.core.periods import InvalidPeriod as InvalidPeriod  # months are parsed in core.periods


class GoalNotFound(NotFound):
    code = "goal_not_found"


class MilestoneNotFound(NotFound):
    code = "milestone_not_found"


class ProgressReportNotFound(NotFound):
    code = "progress_report_not_found"


class SeriesNotFound(NotFound):
    code = "series_not_found"


class GoalNodeNotFound(NotFound):
    code = "goal_node_not_found"


class InvalidGoal(Unprocessable):
    code = "invalid_goal"


class GoalStatusComputed(Conflict):
    """A status is computed by the rules; people may comment, never overwrite it."""

    code = "goal_status_computed"


class PeriodLocked(Conflict):
    code = "period_locked"


class PeriodNotLocked(Conflict):
    """Unlocking a month that is not locked: nothing to unlock (said, not pretended)."""

    code = "period_not_locked"


class ReportTransitionNotAllowed(Conflict):
    code = "progress_report_transition_not_allowed"


class NotLeadDepartment(Forbidden):
    """Only the lead department (牵头单位) reports progress; co-operating ones comment."""

    code = "not_lead_department"


class SeriesNameTaken(Conflict):
    code = "series_name_taken"


class BulletinPeriodInFuture(Unprocessable):
    """A bulletin reports on a month that has begun; a later one is only previewed when asked."""

    code = "bulletin_period_in_future"


class BulletinEmpty(NotFound):
    """No goal has a status for the month: there is nothing to report on."""

    code = "bulletin_empty"
