"""Retention on PostgreSQL: `events archive --before` writes whole months of events and their children to
a checked file before removing them, keeps their rollups so the KPIs of an archived year read the same,
and `events restore-archive` puts every row back; refusals change nothing."""

from __future__ import annotations

import gzip
import json
from datetime import date, datetime

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from citycockpit import migrate
from citycockpit.audit.models import AuditEntry
from citycockpit.cli import app as cli_app
from citycockpit.db import make_engine, session_scope
from citycockpit.events.analytics import rollup
from citycockpit.events.analytics.models import EventRollupDay
from citycockpit.events.storage import archive, partitions
from tests.events.storage_fixture import ACTOR, CLOCK, TZ, kpis_of, populated_city, snapshot

LATER = datetime(2024, 6, 1, 2, 0, tzinfo=CLOCK.now().tzinfo)  # the 2023 events no longer move any rollup
YEAR = (date(2023, 1, 1), date(2023, 12, 31))


@pytest.fixture(scope="module")
def city():  # type: ignore[no-untyped-def]
    with populated_city(events_2023=3000, events_2024=600, at_head=True) as c:
        yield c


def _archive(engine, out, before=date(2024, 1, 1), now=LATER):  # type: ignore[no-untyped-def]
    return archive.archive_before(engine, before, out, actor=ACTOR, now=now, zone=TZ, recent_days=35)


def _without_p90(values: dict) -> dict:  # type: ignore[type-arg]
    values = json.loads(json.dumps(values))
    values["handling"].pop("p90_minutes")
    return values


def test_archiving_is_refused_without_a_change_while_an_event_is_open_or_a_day_not_rolled_up(
    city, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    engine = city.engine
    before = snapshot(engine)
    with pytest.raises(archive.ArchiveRefused, match="not finished"):
        _archive(engine, tmp_path / "open.gz", before=date(2024, 3, 1))
    with session_scope(engine) as s:
        s.execute(delete(EventRollupDay).where(EventRollupDay.day == date(2023, 6, 18)))
    with pytest.raises(archive.ArchiveRefused, match="rollups of 1 days"):
        _archive(engine, tmp_path / "gap.gz")
    with session_scope(engine) as s:
        rollup.recompute_days(s, date(2023, 6, 18), date(2023, 6, 18), zone=TZ, now=CLOCK.now())
    with pytest.raises(archive.ArchiveRefused, match="rollup job recomputes"):
        _archive(engine, tmp_path / "early.gz", now=datetime(2024, 1, 10, tzinfo=CLOCK.now().tzinfo))
    assert snapshot(engine) == before
    assert not list(tmp_path.iterdir())  # no file is left by a refusal


def test_an_archived_year_keeps_its_kpis_and_restoring_it_brings_back_every_row(city, tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = city.engine
    before, kpis_before = snapshot(engine), kpis_of(engine, *YEAR)
    kpis_2024 = kpis_of(engine, date(2024, 1, 1), date(2024, 2, 29))
    out = tmp_path / "events-2023.gz"

    result = _archive(engine, out)

    assert result.months == [date(2023, m, 1) for m in range(1, 13)]
    assert result.events == 3000 and result.counts["event_transitions"] > 5 * 3000
    manifest = json.loads(archive.manifest_path(out).read_text(encoding="utf-8"))
    assert manifest["counts"] == result.counts and manifest["sha256"] == result.sha256
    with Session(engine) as s:
        assert s.scalar(text("SELECT count(*) FROM events WHERE reported_day < '2024-01-01'")) == 0
        # the keys stay (ids and external ids unique for good); no child row is left without its event
        assert s.scalar(text("SELECT count(*) FROM event_keys WHERE reported_day < '2024-01-01'")) == 3000
        orphans = s.scalar(
            text(
                "SELECT count(*) FROM event_transitions t WHERE NOT EXISTS "
                "(SELECT 1 FROM events e WHERE e.id = t.event_id)"
            )
        )
        assert orphans == 0
        assert to_regclass(s, "events_p202306") is None
        assert s.scalar(select(func.count()).where(AuditEntry.action == "event.archive")) == 1
        # recomputing an archived day leaves its rollups alone
        assert rollup.recompute_days(s, date(2023, 6, 1), date(2023, 6, 30), zone=TZ, now=LATER).days == 0
    after = kpis_of(engine, *YEAR)
    assert _without_p90(after) == _without_p90(kpis_before) and after["source"] == "rollup"
    exact, estimate = kpis_before["handling"]["p90_minutes"], after["handling"]["p90_minutes"]
    assert abs(estimate - exact) <= 0.1 * exact  # within its histogram bucket
    assert _without_p90(kpis_of(engine, date(2024, 1, 1), date(2024, 2, 29))) == _without_p90(kpis_2024)

    counts = archive.restore_archive(engine, out, actor=ACTOR, now=LATER).counts

    assert counts == result.counts
    assert snapshot(engine) == before
    assert kpis_of(engine, *YEAR) == kpis_before  # the P90 is read from the events again
    with pytest.raises(archive.ArchiveRefused, match="stored already"):
        archive.restore_archive(engine, out, actor=ACTOR, now=LATER)
    assert snapshot(engine) == before


def to_regclass(session: Session, name: str) -> object:
    return session.scalar(text("SELECT to_regclass(:n)"), {"n": name})


def test_an_altered_archive_is_refused_before_anything_is_loaded(city, tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = city.engine
    out = tmp_path / "jan.gz"
    _archive(engine, out, before=date(2023, 2, 1))
    with gzip.open(out, "rb") as fh:
        lines = fh.readlines()
    with gzip.open(out, "wb") as fh:
        fh.writelines(lines[:-1])  # one row lost
    with pytest.raises(archive.ArchiveInvalid, match="SHA-256"):
        archive.restore_archive(engine, out, actor=ACTOR, now=LATER)
    archive.manifest_path(out).unlink()
    with pytest.raises(archive.ArchiveInvalid, match="no manifest"):
        archive.restore_archive(engine, out, actor=ACTOR, now=LATER)
    with Session(engine) as s:
        assert s.scalar(text("SELECT count(*) FROM events WHERE reported_day < '2023-02-01'")) == 0


def test_the_archive_commands_name_what_they_did_and_refuse_sqlite(city, tmp_path) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    sqlite = tmp_path / "plain.db"
    migrate.upgrade(make_engine(f"sqlite:///{sqlite}"))
    refused = runner.invoke(
        cli_app,
        ["events", "archive", "--before", "2023", "--out", str(tmp_path / "a.gz"), "--db", str(sqlite)],
    )
    assert refused.exit_code == 1 and "on SQLite the events stay" in refused.output
    bad = runner.invoke(
        cli_app,
        ["events", "archive", "--before", "2023-13", "--out", str(tmp_path / "b.gz"), "--db", str(sqlite)],
    )
    assert bad.exit_code == 1 and "YYYY or YYYY-MM" in bad.output
    assert partitions.list_partitions(Session(make_engine(f"sqlite:///{sqlite}"))) == []
