"""Investment attraction's counting rules come from the settings (each city has its own): new signings
are flagged by them, the report's labels state them, and `reclassify` applies changed rules to the
signings recorded before."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from citycockpit import migrate
from citycockpit.audit.models import AuditEntry
from citycockpit.cli import app as cli_app
from citycockpit.core.actors import SystemActor
from citycockpit.db import make_engine
from citycockpit.projects import attraction
from citycockpit.projects.models import InvestmentSigning


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    """A city that counts signings from 1000万元 of registered capital and calls 5亿元 major."""
    return settings.model_copy(
        update={
            "projects_signing_min_registered_wan_cny": 1000.0,
            "projects_major_min_investment_wan_cny": 50_000.0,
        }
    )


def _sign(client, city, supervisor, code: str, registered: float, total: float):  # type: ignore[no-untyped-def]
    body = {
        "code": code,
        "name": f"{code}项目",
        "investor": "太仓某公司",
        "industry": "先进材料",
        "area_code": city["town_a"].code,
        "department_id": city["fgw"].id,
        "signed_on": "2024-03-01",
        "registered_capital_wan_cny": registered,
        "total_investment_wan_cny": total,
    }
    r = client.post("/api/v1/projects/signings", json=body, headers=supervisor.headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_signings_are_counted_by_the_citys_rules_and_the_labels_say_so(client, city, supervisor, leader):  # type: ignore[no-untyped-def]
    small = _sign(client, city, supervisor, "R1", registered=1500, total=60_000)
    tiny = _sign(client, city, supervisor, "R2", registered=800, total=3000)
    assert (small["is_above_threshold"], small["is_major"]) == (True, True)  # by the defaults: False, False
    assert (tiny["is_above_threshold"], tiny["is_major"]) == (False, False)
    body = client.get("/api/v1/projects/attraction?year=2024", headers=leader.headers).json()
    labels = {t["metric"]: t["label"] for t in body["totals"]}
    assert labels["signed_count"] == "签约项目数 (注册资金1000万元以上)"
    assert labels["major_count"] == "超1亿美元或5亿元项目数"
    march = body["months"][2]
    assert (march["signed_count"], march["major_count"]) == (1, 1)


def test_changed_rules_are_applied_to_earlier_signings_once_and_audited(client, db, clock, city, supervisor):  # type: ignore[no-untyped-def]
    _sign(client, city, supervisor, "R1", registered=1500, total=60_000)
    _sign(client, city, supervisor, "R2", registered=5000, total=200_000)
    actor = SystemActor("test")
    assert attraction.reclassify_signings(db, attraction.SigningRules(), actor=actor, now=clock.now()) == 1
    flags = {s.code: (s.is_above_threshold, s.is_major) for s in db.scalars(select(InvestmentSigning))}
    assert flags == {"R1": (False, False), "R2": (True, True)}
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "signing.reclassify")).one()
    assert '"R1"' in entry.diff_json and "2000.0" in entry.diff_json
    assert attraction.reclassify_signings(db, attraction.SigningRules(), actor=actor, now=clock.now()) == 0


def test_the_reclassify_command_states_the_rules_in_force(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    result = CliRunner().invoke(
        cli_app,
        ["projects", "reclassify-signings", "--db", str(path)],
        env={"CITYCOCKPIT_PROJECTS_MAJOR_MIN_INVESTMENT_WAN_USD": "15000"},
    )
    assert result.exit_code == 0, result.output
    assert "超1.5亿美元或10亿元项目数" in result.output and "0 signing(s) changed" in result.output


@pytest.mark.parametrize(
    ("wan", "unit", "text"),
    [
        (2000, "元", "2000万元"),
        (100_000, "元", "10亿元"),
        (15_000, "美元", "1.5亿美元"),
        (500.5, "元", "500.5万元"),
    ],
)
def test_amounts_are_written_as_reports_write_them(wan: float, unit: str, text: str) -> None:
    assert attraction._amount(wan, unit) == text
