"""Unlocking is said only when something was locked: a month that is not locked is refused in one line
(exit 1) by the CLI and with 409 `period_not_locked` by the API, and nothing is written."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from citycockpit.audit.models import AuditEntry
from citycockpit.cli import app
from citycockpit.goals.models import ReportingPeriod

runner = CliRunner()


def test_the_cli_refuses_to_unlock_a_month_that_is_not_locked(tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    assert runner.invoke(app, ["db", "upgrade", "--db", db]).exit_code == 0
    refused = runner.invoke(app, ["goals", "unlock", "2024-06", "--reason", "补报", "--db", db])
    assert refused.exit_code == 1
    assert refused.output.strip() == "error: 2024-06 is not locked: nothing to unlock"
    assert runner.invoke(app, ["goals", "lock", "2024-06", "--db", db]).exit_code == 0
    done = runner.invoke(app, ["goals", "unlock", "2024-06", "--reason", "补报", "--db", db])
    assert (done.exit_code, done.output.strip()) == (0, "2024-06 unlocked")
    again = runner.invoke(app, ["goals", "unlock", "2024-06", "--reason", "补报", "--db", db])
    assert again.exit_code == 1 and "not locked" in again.output


def test_the_api_refuses_to_unlock_an_open_month_and_writes_nothing(
    client: TestClient, db: Session, supervisor
) -> None:  # type: ignore[no-untyped-def]
    audits = db.scalar(select(func.count()).select_from(AuditEntry))
    r = client.post(
        "/api/v1/goals/periods/2031-03/unlock", json={"reason": "补报"}, headers=supervisor.headers
    )
    assert (r.status_code, r.json()["code"]) == (409, "period_not_locked")
    assert db.scalar(select(ReportingPeriod).where(ReportingPeriod.period == "2031-03")) is None
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == audits
