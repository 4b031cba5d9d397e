"""The real HTTP app on both databases: health, an org endpoint, problem+json errors."""

from __future__ import annotations

from importlib import resources

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citycockpit.auth import tokens
from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import Clock
from citycockpit.org import service as org

ACTOR = SystemActor("test")


def _token(db: Session, clock: Clock, *scopes: str) -> dict[str, str]:
    created = tokens.create_token(db, name="test", scopes=list(scopes), actor=ACTOR, now=clock.now())
    return {"Authorization": f"Bearer {created.secret}"}


def test_healthz_answers_ok_when_the_database_does(client: TestClient) -> None:
    r = client.get("/healthz")
    assert (r.status_code, r.json()["status"]) == (200, "ok")


def test_departments_are_listed_to_a_token_holding_org_read(
    client: TestClient, db: Session, clock: Clock
) -> None:
    data = resources.files("citycockpit.demo").joinpath("data/taicang-org.yaml").read_bytes()
    org.import_org(db, data, "taicang-org.yaml", actor=ACTOR, now=clock.now())
    r = client.get("/api/v1/org/departments", params={"limit": 5}, headers=_token(db, clock, "org:read"))
    assert r.status_code == 200
    body = r.json()
    assert body["total"] >= 20 and len(body["items"]) == 5


def test_an_unknown_area_is_a_problem_json_404(client: TestClient, db: Session, clock: Clock) -> None:
    r = client.get("/api/v1/org/areas/999999", headers=_token(db, clock, "org:read"))
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "area_not_found" and "999999" in r.json()["detail"]


def test_org_endpoints_refuse_anonymous_callers_and_tokens_without_the_scope(
    client: TestClient, db: Session, clock: Clock
) -> None:
    assert client.get("/api/v1/org/departments").status_code == 401
    r = client.get("/api/v1/org/departments", headers=_token(db, clock, "screen:read"))
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")


def test_an_unknown_token_is_refused_with_401(client: TestClient) -> None:
    r = client.get("/api/v1/org/departments", headers={"Authorization": "Bearer cc_nope"})
    assert r.status_code == 401


def test_a_bad_query_value_names_the_field(client: TestClient, db: Session, clock: Clock) -> None:
    r = client.get("/api/v1/org/departments", params={"limit": 0}, headers=_token(db, clock, "org:read"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "limit"


def test_the_served_app_freezes_what_it_loaded_out_of_the_garbage_collectors_reach(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Full collections over the loaded modules and mappings paused requests by tens of ms (the intake
    # p99); the worker's factory moves them out of the collector's reach once the app is built.
    import os
    import subprocess
    import sys

    code = "import gc; from citycockpit.app import serve_app; serve_app(); print(gc.get_freeze_count())"
    env = {**os.environ, "CITYCOCKPIT_DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert int(out.stdout.split()[-1]) > 10_000
