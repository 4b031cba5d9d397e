"""The goals domain's check of its settings, run at start-up (the app factory, `serve`, `worker` and the
goals commands). `config.Settings` holds the `goals_*` fields but does not import goals, so the rule
names, which are goals' vocabulary, are checked here; the error reads as Settings' own did."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from citycockpit.config import Settings
from citycockpit.goals.enums import INDICATOR_RULES, TASK_RULES


class _GoalRules(BaseModel):
    model_config = ConfigDict(title="Settings")  # errors read "1 validation error for Settings"

    goals_task_rules: list[str]
    goals_indicator_rules: list[str]

    @field_validator("goals_task_rules", "goals_indicator_rules")
    @classmethod
    def _known_rules(cls, value: list[str], info: ValidationInfo) -> list[str]:
        task = info.field_name == "goals_task_rules"
        known, last = (TASK_RULES, "behind") if task else (INDICATOR_RULES, "off_track")
        unknown = [r for r in value if r not in known]
        if unknown:
            raise ValueError(f"unknown rule(s) {', '.join(unknown)}; known: {', '.join(known)}")
        if not value or value[-1] != last:
            raise ValueError(f"the last rule must be the catch-all `{last}`")
        return value


def check_settings(settings: Settings) -> None:
    """Refuse status rules goals does not know, or lists that do not end with their catch-all
    (pydantic.ValidationError, as a bad setting of Settings is)."""
    _GoalRules.model_validate(
        {
            "goals_task_rules": settings.goals_task_rules,
            "goals_indicator_rules": settings.goals_indicator_rules,
        }
    )
