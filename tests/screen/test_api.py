"""The screen API: scope, drill-down, explicit nulls for "no data yet", and kiosk links."""

from __future__ import annotations

from importlib import resources

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citycockpit.audit.models import AuditEntry
from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import Clock
from citycockpit.org.models import Area
from citycockpit.report import service as report_service
from citycockpit.screen import service

ACTOR = SystemActor("test")
SECRET = "test-secret-key-" + "x" * 32  # the `settings` fixture's key


def test_the_overview_names_the_city_and_the_time_progress(client: TestClient, leader) -> None:
    r = client.get("/api/v1/screen/overview", headers=leader.headers)
    assert r.status_code == 200
    body = r.json()
    assert body["area"] == {"code": "320585", "name": "太仓市", "level": "city"}
    assert body["parent"] is None
    assert body["refresh_seconds"] == 30
    # 2024-09-30 is day 274 of a 366-day year
    assert body["time_progress"] == round(274 / 366, 4)
    assert body["as_of"].startswith("2024-09-30T02:00:00")


def test_panels_without_data_answer_null_not_zero(client: TestClient, leader) -> None:
    expectations = {
        "targets": ("items",),
        "economy": ("series",),
        "events/counters": ("today", "month"),
        "events/breakdown": ("by_category", "by_channel"),
        "alerts": ("items",),
        "projects": ("by_level", "lagging"),
        "goals": ("by_task_area",),
    }
    for endpoint, keys in expectations.items():
        body = client.get(f"/api/v1/screen/{endpoint}", headers=leader.headers).json()
        assert "as_of" in body, endpoint
        for key in keys:
            assert body[key] is None, (endpoint, key)


def test_targets_come_from_the_newest_report_without_the_rejected_ones(
    client: TestClient, db: Session, clock: Clock, leader
) -> None:
    data = resources.files("citycockpit.report").joinpath("samples/taicang-2024-government-work-report.txt")
    report, _ = report_service.ingest_report(db, data.read_bytes(), "r.txt", actor=ACTOR, now=clock.now())
    items, total = report_service.list_items(db, report.id, list_name="targets")
    report_service.review_item(db, items[0].id, action="reject", actor=ACTOR, now=clock.now())
    body = client.get("/api/v1/screen/targets", headers=leader.headers).json()
    assert body["report"]["id"] == report.id
    names = [i["name"] for i in body["items"]]
    assert len(names) == total - 1 and items[0].name not in names
    assert all(i["progress"] is None and i["status"] is None for i in body["items"])


def test_a_town_user_sees_its_town_and_cannot_drill_outside_it(client: TestClient, town_staff) -> None:
    body = client.get("/api/v1/screen/overview", headers=town_staff.headers).json()
    assert body["area"]["code"] == "320585100"
    assert body["parent"] is None  # the city lies outside the town's scope: no "back" to it
    r = client.get("/api/v1/screen/overview", params={"area": "320585101"}, headers=town_staff.headers)
    assert (r.status_code, r.json()["code"]) == (404, "screen_area_not_found")


def test_drilling_down_to_a_town_offers_the_way_back_to_the_city(client: TestClient, leader) -> None:
    body = client.get("/api/v1/screen/overview", params={"area": "320585101"}, headers=leader.headers).json()
    assert body["area"]["name"] == "沙溪镇"
    assert body["parent"] == {"code": "320585", "name": "太仓市"}


def test_the_map_returns_child_areas_with_their_polygons(
    client: TestClient, db: Session, clock: Clock, leader
) -> None:
    service.generate_area_shapes(db, actor=ACTOR, now=clock.now(), root_code="320585")
    body = client.get("/api/v1/screen/map", headers=leader.headers).json()
    names = sorted(f["properties"]["name"] for f in body["geojson"]["features"])
    assert names == ["城厢镇", "沙溪镇"]
    assert body["map_name"] == "area-320585" and body["drillable"] is True
    assert body["values"] is None


def test_an_unknown_map_metric_is_a_validation_error(client: TestClient, leader) -> None:
    r = client.get("/api/v1/screen/map", params={"metric": "bogus"}, headers=leader.headers)
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "metric")


def test_the_screen_api_refuses_anonymous_callers(client: TestClient) -> None:
    assert client.get("/api/v1/screen/overview").status_code == 401


def test_kiosk_links_are_managed_by_admins_only(client: TestClient, admin, leader) -> None:
    r = client.post("/api/v1/screen/kiosk-links", json={"name": "指挥中心大屏"}, headers=leader.headers)
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    r = client.post("/api/v1/screen/kiosk-links", json={"name": "指挥中心大屏"}, headers=admin.headers)
    assert r.status_code == 201 and r.json()["path"].startswith("/screen/kiosk/")


def test_a_kiosk_link_grants_the_screen_and_nothing_else(
    client: TestClient, db: Session, clock: Clock, city
) -> None:
    created = service.create_kiosk_link(db, name="wall", secret_key=SECRET, actor=ACTOR, now=clock.now())
    r = client.get(created.path, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/screen")
    assert client.get("/api/v1/screen/overview").status_code == 200
    assert client.get("/screen").status_code == 200
    assert client.get("/api/v1/org/departments").status_code == 403
    assert client.get("/api/v1/screen/kiosk-links").status_code == 403


def test_a_revoked_or_forged_kiosk_link_is_refused(
    client: TestClient, db: Session, clock: Clock, city
) -> None:
    created = service.create_kiosk_link(db, name="wall", secret_key=SECRET, actor=ACTOR, now=clock.now())
    assert client.get(created.path, follow_redirects=False).status_code == 303
    service.revoke_kiosk_link(db, created.link.id, actor=ACTOR, now=clock.now())
    assert client.get("/api/v1/screen/overview").status_code == 401
    forged = f"/screen/kiosk/{created.link.id}.{'0' * 40}"
    assert client.get(forged, follow_redirects=False).status_code == 404


def test_a_town_kiosk_sees_only_its_town(client: TestClient, db: Session, clock: Clock, city) -> None:
    created = service.create_kiosk_link(
        db, name="城厢镇大屏", area_code="320585100", secret_key=SECRET, actor=ACTOR, now=clock.now()
    )
    client.get(created.path, follow_redirects=False)
    assert client.get("/api/v1/screen/overview").json()["area"]["code"] == "320585100"
    assert client.get("/api/v1/screen/overview", params={"area": "320585"}).status_code == 404


def test_creating_and_revoking_a_kiosk_link_are_audited(db: Session, clock: Clock, city) -> None:
    created = service.create_kiosk_link(db, name="wall", secret_key=SECRET, actor=ACTOR, now=clock.now())
    service.revoke_kiosk_link(db, created.link.id, actor=ACTOR, now=clock.now())
    actions = db.scalars(
        select(AuditEntry.action).where(AuditEntry.object_type == "kiosk_link").order_by(AuditEntry.id)
    ).all()
    assert actions == ["kiosk_link.create", "kiosk_link.revoke"]


def test_generated_town_shapes_contain_their_own_centroid(db: Session, clock: Clock, city) -> None:
    from citycockpit.screen import geo

    service.generate_area_shapes(db, actor=ACTOR, now=clock.now(), root_code="320585")
    towns = db.scalars(select(Area).where(Area.level == "town")).all()
    for town in towns:
        ring = geo.ring_of(town.geometry_geojson)
        assert _inside((town.centroid_lon, town.centroid_lat), ring), town.name


def test_imported_shapes_are_kept_when_shapes_are_generated(db: Session, clock: Clock, city) -> None:
    town = db.scalars(select(Area).where(Area.code == "320585100")).one()
    imported = '{"type":"Polygon","coordinates":[[[121,31],[121.2,31],[121.2,31.2],[121,31]]]}'
    town.geometry_geojson = imported
    service.generate_area_shapes(db, actor=ACTOR, now=clock.now(), root_code="320585")
    assert town.geometry_geojson == imported


def _inside(point: tuple[float, float], ring: list[tuple[float, float]]) -> bool:
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=False):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def test_a_kiosk_links_last_use_is_kept_from_the_screens_reads(fresh_db, settings, clock) -> None:  # type: ignore[no-untyped-def]
    from citycockpit.app import create_app
    from citycockpit.db import session_scope
    from citycockpit.screen.models import KioskLink

    _, engine = fresh_db
    with session_scope(engine) as s:
        created = service.create_kiosk_link(
            s, name="wall", secret_key=settings.resolved_secret_key(), actor=ACTOR, now=clock.now()
        )
    with TestClient(create_app(settings, engine=engine, clock=clock)) as wall:  # production sessions
        assert wall.get(created.path, follow_redirects=False).status_code == 303
        assert wall.get("/api/v1/screen/overview").status_code == 200
    with session_scope(engine) as s:
        assert s.get(KioskLink, created.link.id).last_used_at == clock.now()  # type: ignore[union-attr]
