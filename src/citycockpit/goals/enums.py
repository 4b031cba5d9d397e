"""Goal kinds, the status vocabulary (督查 practice), report and period states, roll-up rules."""

from enum import StrEnum


class GoalKind(StrEnum):
    """How a goal is judged: an indicator against its series' actuals, or a task by its reports."""

    INDICATOR = "indicator"
    TASK = "task"


class GoalSource(StrEnum):
    TARGET = "target"  # 主要预期目标 item
    COMMITMENT = "commitment"  # quantified task commitment
    QUALITATIVE = "qualitative"  # a sub-task or qualitative target without a number
    MANUAL = "manual"
    IMPORT = "import"


class Color(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    GREY = "grey"


class Tone(StrEnum):
    """How a status word is coloured wherever it is shown: workbench tables, badges and the big screen
    (the stylesheets give each tone its colour, `tone-<tone>`)."""

    RED = "red"
    ORANGE = "orange"
    BLUE = "blue"
    GREEN = "green"
    GREY = "grey"


class GoalStatus(StrEnum):
    """One status per goal and period. Task goals use 已完成/超进度/达进度/欠进度/逾期/未报送;
    indicator goals use 已完成/达标/预警/未达标/暂无数据."""

    DONE = "done"
    AHEAD = "ahead"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    OVERDUE = "overdue"
    NOT_REPORTED = "not_reported"
    MET = "met"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    NO_DATA = "no_data"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def color(self) -> Color:
        return STATUS_COLORS[self]

    @property
    def tone(self) -> Tone:
        return STATUS_TONES[self]


STATUS_LABELS = {
    GoalStatus.DONE: "已完成",
    GoalStatus.AHEAD: "超进度",
    GoalStatus.ON_TRACK: "达进度",
    GoalStatus.BEHIND: "欠进度",
    GoalStatus.OVERDUE: "逾期",
    GoalStatus.NOT_REPORTED: "未报送",
    GoalStatus.MET: "预计达标",
    GoalStatus.AT_RISK: "预警",
    GoalStatus.OFF_TRACK: "预计未达标",
    GoalStatus.NO_DATA: "暂无数据",
}

STATUS_COLORS = {
    GoalStatus.DONE: Color.GREEN,
    GoalStatus.AHEAD: Color.GREEN,
    GoalStatus.ON_TRACK: Color.GREEN,
    GoalStatus.BEHIND: Color.AMBER,
    GoalStatus.OVERDUE: Color.RED,
    GoalStatus.NOT_REPORTED: Color.GREY,
    GoalStatus.MET: Color.GREEN,
    GoalStatus.AT_RISK: Color.AMBER,
    GoalStatus.OFF_TRACK: Color.RED,
    GoalStatus.NO_DATA: Color.GREY,
}


# The supervision colours: 逾期/欠进度 red, 预警 orange, 达进度 blue, 超进度/已完成 green, 未报送 grey. An
# indicator forecast to meet its target reads as 达进度, one forecast to miss it as 欠进度. Not the same
# thing as STATUS_COLORS (the traffic light whose turning red raises an alert, where 欠进度 is amber).
STATUS_TONES = {
    GoalStatus.DONE: Tone.GREEN,
    GoalStatus.AHEAD: Tone.GREEN,
    GoalStatus.ON_TRACK: Tone.BLUE,
    GoalStatus.BEHIND: Tone.RED,
    GoalStatus.OVERDUE: Tone.RED,
    GoalStatus.NOT_REPORTED: Tone.GREY,
    GoalStatus.MET: Tone.BLUE,
    GoalStatus.AT_RISK: Tone.ORANGE,
    GoalStatus.OFF_TRACK: Tone.RED,
    GoalStatus.NO_DATA: Tone.GREY,
}


def status_tones() -> dict[str, str]:
    """Every status's tone, for pages' JavaScript (the screen's charts colour by it)."""
    return {status.value: tone.value for status, tone in STATUS_TONES.items()}


# Bulletin order: the behind and overdue ones first.
STATUS_ORDER = [
    GoalStatus.OVERDUE,
    GoalStatus.OFF_TRACK,
    GoalStatus.BEHIND,
    GoalStatus.AT_RISK,
    GoalStatus.NOT_REPORTED,
    GoalStatus.NO_DATA,
    GoalStatus.ON_TRACK,
    GoalStatus.MET,
    GoalStatus.AHEAD,
    GoalStatus.DONE,
]


class ReportState(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RETURNED = "returned"


class PeriodState(StrEnum):
    OPEN = "open"
    LOCKED = "locked"


class RollupRule(StrEnum):
    AVERAGE = "average"
    WEIGHTED = "weighted"
    WORST = "worst"


class AlertKind(StrEnum):
    TURNED_RED = "turned_red"
    MILESTONE_OVERDUE = "milestone_overdue"
    REPORT_MISSING = "report_missing"


TASK_RULES = ("done", "overdue", "not_reported", "ahead", "on_track", "behind")
INDICATOR_RULES = ("no_data", "reached", "overdue", "met", "at_risk", "off_track")
