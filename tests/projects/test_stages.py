"""Life-cycle rules: forward moves (skips recorded), backward only with a reason, dated and audited."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from citycockpit.audit.models import AuditEntry
from citycockpit.projects import service
from citycockpit.projects.enums import ProjectStage
from citycockpit.projects.errors import InvalidStageDate, StageReasonRequired, StageUnchanged
from tests.projects.conftest import OFFICE, TODAY, make_project


def _move(db, clock, project, stage, on=date(2024, 3, 1), reason=None):  # type: ignore[no-untyped-def]
    return service.change_stage(
        db, project, to_stage=stage, changed_on=on, reason=reason, actor=OFFICE, now=clock.now(), today=TODAY
    )


def test_moving_forward_one_stage_records_a_dated_change(db, clock, city) -> None:
    project = make_project(db, clock, city, "S1", stage=ProjectStage.APPROVED)
    change = _move(db, clock, project, ProjectStage.STARTED)
    assert (change.from_stage, change.to_stage, change.changed_on) == (
        "approved",
        "started",
        date(2024, 3, 1),
    )
    assert project.actual_start_on == date(2024, 3, 1)
    assert change.skipped_stages == ""


def test_skipping_forward_is_allowed_and_the_skipped_stages_are_recorded(db, clock, city) -> None:
    project = make_project(db, clock, city, "S2", stage=ProjectStage.SIGNED)
    change = _move(db, clock, project, ProjectStage.STARTED)
    assert change.skipped_stages == "registered land approved"
    assert project.stage == "started"


def test_moving_backwards_without_a_reason_is_refused(db, clock, city) -> None:
    project = make_project(db, clock, city, "S3", stage=ProjectStage.STARTED)
    with pytest.raises(StageReasonRequired) as caught:
        _move(db, clock, project, ProjectStage.APPROVED, reason="  ")
    assert caught.value.code == "project_stage_reason_required"
    assert project.stage == "started"


def test_moving_backwards_with_a_reason_is_recorded_as_backward_and_clears_the_start(db, clock, city) -> None:
    project = make_project(db, clock, city, "S4", stage=ProjectStage.APPROVED)
    _move(db, clock, project, ProjectStage.STARTED, on=date(2024, 3, 1))
    change = _move(
        db, clock, project, ProjectStage.APPROVED, on=date(2024, 4, 1), reason="施工许可被撤回，重新审批"
    )
    assert change.is_backward is True and change.reason == "施工许可被撤回，重新审批"
    assert project.actual_start_on is None


def test_moving_to_the_same_stage_is_a_conflict(db, clock, city) -> None:
    project = make_project(db, clock, city, "S5", stage=ProjectStage.STARTED)
    with pytest.raises(StageUnchanged):
        _move(db, clock, project, ProjectStage.STARTED)


def test_a_stage_date_in_the_future_or_before_the_last_change_is_refused(db, clock, city) -> None:
    project = make_project(db, clock, city, "S6", stage=ProjectStage.APPROVED)
    with pytest.raises(InvalidStageDate):
        _move(db, clock, project, ProjectStage.STARTED, on=date(2024, 10, 1))
    with pytest.raises(InvalidStageDate):
        _move(db, clock, project, ProjectStage.STARTED, on=date(2023, 12, 31))


def test_every_stage_change_writes_an_audit_entry(db, clock, city) -> None:
    project = make_project(db, clock, city, "S7", stage=ProjectStage.CONSTRUCTION)
    _move(db, clock, project, ProjectStage.COMPLETED, on=date(2024, 8, 30))
    entry = db.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "project.stage", AuditEntry.object_id == str(project.id)
        )
    ).one()
    assert '"completed"' in entry.diff_json
    assert project.actual_finish_on == date(2024, 8, 30)
    assert [c.to_stage for c in service.list_stage_changes(db, project.id)] == ["construction", "completed"]


def test_a_cumulative_figure_below_an_earlier_months_is_refused(db, clock, city) -> None:
    from citycockpit.projects.errors import InvalidProgress
    from tests.projects.conftest import progress

    project = make_project(db, clock, city, "S8")
    progress(db, clock, project, 5, 500)
    with pytest.raises(InvalidProgress):
        progress(db, clock, project, 6, 400)
    with pytest.raises(InvalidProgress):
        progress(db, clock, project, 10, 900)  # October has not begun on 2024-09-30
