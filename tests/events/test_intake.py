"""Grid location, duplicate proposals and merging, hotline batch import, category files."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select, update

from citycockpit.core.tabular import ImportFailed
from citycockpit.events import categories as cats
from citycockpit.events.enums import Action, EventState
from citycockpit.events.intake import hotline
from citycockpit.events.intake import service as intake
from citycockpit.events.models import DuplicateProposal, Event, EventCategory
from citycockpit.org.models import Area, Department
from tests.builders import make_area
from tests.events.conftest import GRID_A, TESTER, act, report

SQUARE = {  # a square around (31.50, 121.20), far from both small-city grid centroids
    "type": "Polygon",
    "coordinates": [[[121.19, 31.49], [121.21, 31.49], [121.21, 31.51], [121.19, 31.51], [121.19, 31.49]]],
}


def test_a_point_inside_a_grid_polygon_gets_that_grid(db, clock, city, categories, dispatcher):
    make_area(
        db,
        "320585101001002",
        "沙南社区第2网格",
        now=clock.now(),
        lat=31.40,
        lon=121.0,
        geometry=json.dumps(SQUARE),
    )
    event = report(db, dispatcher.principal, clock.now(), lat=31.50, lon=121.20)
    assert (event.grid_code, event.grid_method, event.town_code) == (
        "320585101001002",
        "polygon",
        "320585101",
    )


def test_a_point_outside_every_polygon_falls_back_to_the_nearest_centroid(
    db, clock, city, categories, dispatcher
):
    make_area(
        db,
        "320585101001002",
        "沙南社区第2网格",
        now=clock.now(),
        lat=31.40,
        lon=121.0,
        geometry=json.dumps(SQUARE),
    )
    event = report(db, dispatcher.principal, clock.now(), lat=GRID_A[0] + 0.001, lon=GRID_A[1])
    assert (event.grid_code, event.grid_method, event.village_code) == (
        "320585100001001",
        "centroid",
        "320585100001",
    )


def test_a_grid_polygon_moved_by_any_write_is_seen_by_the_next_report(
    db, clock, city, categories, dispatcher
):
    """The grid index is rebuilt when the areas' change stamp moves, not when a column that a write
    may leave alone (updated_at, the text's length) does: here a Core UPDATE moves the polygon by
    0.1° with the same length of text and the same updated_at."""
    make_area(db, "320585101001002", "沙南社区第2网格", now=clock.now(), lat=31.40, lon=121.0)
    db.execute(update(Area).where(Area.code == "320585101001002").values(geometry_geojson=json.dumps(SQUARE)))
    assert report(db, dispatcher.principal, clock.now(), lat=31.50, lon=121.20).grid_method == "polygon"
    moved = json.dumps(SQUARE).replace("121.", "122.").replace("31.", "32.")
    assert len(moved) == len(json.dumps(SQUARE))
    db.execute(update(Area).where(Area.code == "320585101001002").values(geometry_geojson=moved))
    assert report(db, dispatcher.principal, clock.now(), lat=31.50, lon=121.20).grid_method == "centroid"
    assert report(db, dispatcher.principal, clock.now(), lat=32.50, lon=122.20).grid_method == "polygon"


def test_a_polygon_hole_is_not_inside(db, clock, city, categories, dispatcher):
    holed = dict(SQUARE)
    holed["coordinates"] = [
        *SQUARE["coordinates"],
        [[121.199, 31.499], [121.201, 31.499], [121.201, 31.501], [121.199, 31.501], [121.199, 31.499]],
    ]
    make_area(
        db,
        "320585101001002",
        "沙南社区第2网格",
        now=clock.now(),
        lat=31.40,
        lon=121.0,
        geometry=json.dumps(holed),
    )
    event = report(db, dispatcher.principal, clock.now(), lat=31.50, lon=121.20)
    assert event.grid_method == "centroid"


def test_a_second_report_nearby_within_the_window_is_proposed_as_a_duplicate(
    db, clock, categories, dispatcher
):
    first = report(db, dispatcher.principal, clock.now())
    near = report(db, dispatcher.principal, clock.now() + timedelta(hours=2), lat=GRID_A[0] + 0.0002)
    far = report(db, dispatcher.principal, clock.now() + timedelta(hours=2), lat=GRID_A[0] + 0.01)
    late = report(db, dispatcher.principal, clock.now() + timedelta(hours=30))
    proposals = db.scalars(select(DuplicateProposal).where(DuplicateProposal.original_id == first.id)).all()
    assert [p.event_id for p in proposals] == [near.id]
    assert proposals[0].distance_m == pytest.approx(22.3, abs=1)
    assert far.id not in [p.event_id for p in proposals] and late.id not in [p.event_id for p in proposals]


def test_a_report_near_a_stored_original_is_inserted_linked_to_it_without_an_update(
    db, clock, categories, dispatcher
):
    """The duplicate lookup runs before the insert: the new row carries its `duplicate_of_id`, so the
    events row is written once and never enters the originals' partial index."""
    first = report(db, dispatcher.principal, clock.now())
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        statements.append(" ".join(statement.split()).upper())

    conn = db.connection()
    sa_event.listen(conn, "before_cursor_execute", record)
    try:
        near = report(db, dispatcher.principal, clock.now() + timedelta(hours=1), lat=GRID_A[0] + 0.0001)
    finally:
        sa_event.remove(conn, "before_cursor_execute", record)
    assert near.duplicate_of_id == first.id
    assert [s for s in statements if s.startswith("UPDATE EVENTS")] == []
    proposal = db.scalars(select(DuplicateProposal).where(DuplicateProposal.event_id == near.id)).one()
    assert (proposal.original_id, proposal.distance_m) == (first.id, pytest.approx(11.1, abs=0.5))


def test_duplicate_lookups_leave_the_compiled_statement_cache_alone(
    engine, db, clock, categories, dispatcher
):
    """The duplicate lookup's statement holds its boxes as literals, so no two are alike: cached, each
    would evict a reusable statement and, at hundreds of batches a second, feed the collector's full
    passes (they paused intake by 60-90 ms every two seconds)."""
    engine.clear_compiled_cache()
    cached = 0
    for i in range(24):
        if i == 4:  # the reports so far (with 0, 1, 2 and 3 proposals) compiled every reusable statement
            cached = len(engine._compiled_cache)
        report(db, dispatcher.principal, clock.now() + timedelta(minutes=i), lat=GRID_A[0] + 0.0001 * i)
    assert len(engine._compiled_cache) == cached
    # the lookups did run: every report 11 m on from the last (radius 20 m) finds the original before it,
    # or none when that one is a duplicate and the original is 22 m back
    assert db.scalar(select(func.count()).select_from(DuplicateProposal)) >= 15


def test_a_different_category_at_the_same_spot_is_not_a_duplicate(db, clock, categories, dispatcher):
    report(db, dispatcher.principal, clock.now())
    other = report(db, dispatcher.principal, clock.now(), category_code="E0401", description="水管爆裂")
    assert db.scalar(select(func.count()).where(DuplicateProposal.event_id == other.id)) == 0


def test_merging_links_both_ways_and_closing_the_original_closes_the_duplicate(
    db, clock, categories, dispatcher, dept_staff, grid_worker
):
    now = clock.now()
    original = report(db, dispatcher.principal, now)
    duplicate = report(db, dispatcher.principal, now + timedelta(hours=1))
    act(db, duplicate, Action.MERGE, dispatcher.principal, now, original=original.public_id)
    assert (duplicate.state, duplicate.merged_into_id, original.duplicate_count) == (
        EventState.MERGED,
        original.id,
        1,
    )
    proposal = db.scalars(select(DuplicateProposal).where(DuplicateProposal.event_id == duplicate.id)).one()
    assert proposal.status == "merged"
    for action, who in [
        (Action.REGISTER, dispatcher),
        (Action.DISPATCH, dispatcher),
        (Action.SIGN, dept_staff),
        (Action.HANDLE, dept_staff),
        (Action.VERIFY, grid_worker),
        (Action.CLOSE, dispatcher),
    ]:
        act(db, original, action, who.principal, now + timedelta(hours=2))
    db.refresh(duplicate)
    assert (duplicate.state, duplicate.closed_at is not None, duplicate.result_text) == (
        EventState.CLOSED,
        True,
        original.result_text,
    )


HOTLINE_CSV = """工单编号,受理时间,诉求类型,分类编码,诉求内容,地址,纬度,经度,来电人,来电号码
TC240930001,2024-09-30 09:10,投诉,E0102,小区门口垃圾三天没人清运,城厢镇东门街8号,31.463,121.107,李娜,13900001111
TC240930002,2024-09-30 09:20,咨询,H0104,咨询居住证办理需要哪些材料,,,,王强,13900002222
"""


def test_a_hotline_file_imports_every_ticket_with_its_own_time_and_type(db, clock, categories):
    created = hotline.import_hotline_file(
        db, HOTLINE_CSV.encode(), "hotline.csv", actor=TESTER, now=clock.now()
    )
    rows = db.execute(
        select(Event.external_id, Event.request_type, Event.channel).order_by(Event.external_id)
    ).all()
    assert created == 2
    assert [tuple(r) for r in rows] == [
        ("TC240930001", "complaint", "hotline"),
        ("TC240930002", "consult", "hotline"),
    ]


def test_a_bad_hotline_file_imports_nothing_and_names_every_bad_row(db, clock, categories):
    bad = HOTLINE_CSV + "TC240930001,2024-09-30 10:00,投诉,E0102,重复编号,,,,,\n"
    bad += "TC240930003,昨天,投诉,E9999,未知分类,,91,121,,\n"
    with pytest.raises(ImportFailed) as info:
        hotline.import_hotline_file(db, bad.encode(), "hotline.csv", actor=TESTER, now=clock.now())
    reasons = {(e["row"], e["reason"].split(" ")[0]) for e in info.value.extra["errors"]}
    assert {r for r, _ in reasons} == {4, 5}
    assert db.scalar(select(func.count()).select_from(Event)) == 0


def test_a_hotline_file_cannot_be_imported_twice(db, clock, categories):
    hotline.import_hotline_file(db, HOTLINE_CSV.encode(), "hotline.csv", actor=TESTER, now=clock.now())
    with pytest.raises(ImportFailed, match="already imported"):
        hotline.import_hotline_file(db, HOTLINE_CSV.encode(), "hotline.csv", actor=TESTER, now=clock.now())


def test_the_hotline_upload_endpoint_reports_row_errors_as_problem_json(client, categories, dispatcher):
    bad = "工单编号,诉求内容,分类编码\nT1,垃圾,E9999\n"
    r = client.post(
        "/api/v1/events/import",
        files={"file": ("h.csv", bad.encode(), "text/csv")},
        headers=dispatcher.headers,
    )
    assert (r.status_code, r.json()["code"], r.json()["errors"][0]["row"]) == (422, "import_failed", 2)


def test_the_shipped_categories_import_into_the_demo_organisation(db, clock):
    from importlib import resources

    from citycockpit.org import service as org

    data = resources.files("citycockpit.demo").joinpath("data/taicang-org.yaml").read_bytes()
    org.import_org(db, data, "org.yaml", actor=TESTER, now=clock.now())
    result = cats.import_categories(
        db, cats.shipped_categories_file(), "categories.yaml", actor=TESTER, now=clock.now()
    )
    minors = db.scalar(select(func.count()).where(EventCategory.level == "minor"))
    kinds = set(db.scalars(select(EventCategory.clock_kind).where(EventCategory.level == "minor")))
    assert (result.created, 60 <= minors <= 90) == (
        db.scalar(select(func.count()).select_from(EventCategory)),
        True,
    )
    assert kinds == {"urgent_hours", "work_hours", "work_days", "calendar_days"}


def test_a_category_file_with_bad_rows_stores_nothing(db, clock, city):
    text = "code,name,parent_code,department,clock_kind,handle_limit\nE01,市容环境,,,,\n"
    text += "E0101,私搭乱建,E01,NOPE,work_days,15\nE0102,暴露垃圾,E01,CGJ,weekly,4\nE0103,积存垃圾,E01,CGJ,work_hours,-1\n"
    with pytest.raises(ImportFailed) as info:
        cats.import_categories(db, text.encode(), "c.csv", actor=TESTER, now=clock.now())
    assert [e["row"] for e in info.value.extra["errors"]] == [3, 4, 5]
    assert db.scalar(select(func.count()).select_from(EventCategory)) == 0


@pytest.mark.parametrize("kind", ["yaml", "csv", "xlsx"])
def test_exported_categories_import_back_unchanged(db, clock, categories, kind):
    data = cats.export_categories(db, kind)
    before = db.execute(
        select(EventCategory.code, EventCategory.handle_limit, EventCategory.clock_kind)
    ).all()
    result = cats.import_categories(db, data, f"c.{kind}", actor=TESTER, now=clock.now())
    after = db.execute(select(EventCategory.code, EventCategory.handle_limit, EventCategory.clock_kind)).all()
    assert (result.created, sorted(after)) == (0, sorted(before))


def test_a_local_category_goes_to_the_town_government_of_the_events_area(
    db, clock, city, categories, dispatcher
):
    from tests.builders import make_department

    town = make_department(db, "T100", "城厢镇人民政府", kind="镇", now=clock.now())
    town.area_code = "320585100"
    db.flush()
    event = report(
        db, dispatcher.principal, clock.now(), category_code="H0601", description="楼上邻居漏水协商不成"
    )
    assert (event.department_id, event.routing_rule) == (town.id, "area:320585100→town")


def test_closing_at_town_level_without_supervision_counts_as_resolved_locally(
    db, clock, city, categories, dispatcher, town_staff
):
    from citycockpit.auth.enums import Role
    from citycockpit.auth.permissions import perms_for
    from citycockpit.auth.principal import Principal
    from tests.builders import make_department

    town = make_department(db, "T100", "城厢镇人民政府", kind="镇", now=clock.now())
    town.area_code = "320585100"
    db.flush()
    handler = Principal(
        id=None,
        name="town-office",
        role=Role.DEPARTMENT,
        perms=perms_for(Role.DEPARTMENT),
        department_id=town.id,
    )
    event = report(db, dispatcher.principal, clock.now(), category_code="H0601", description="邻里噪声纠纷")
    for action, who in [
        (Action.REGISTER, dispatcher.principal),
        (Action.DISPATCH, dispatcher.principal),
        (Action.SIGN, handler),
        (Action.HANDLE, handler),
        (Action.VERIFY, dispatcher.principal),
        (Action.CLOSE, dispatcher.principal),
    ]:
        act(db, event, action, who, clock.now())
    assert (event.resolved_locally, event.closed_on_time) == (True, True)


def _columns(category: EventCategory | None) -> dict[str, object] | None:
    if category is None:
        return None
    return {c.key: getattr(category, c.key) for c in EventCategory.__mapper__.column_attrs}


def test_batch_lookups_keep_the_tables_until_any_write_changes_them(db, clock, city, categories):
    """The intake writer's whole-table lookups are kept between batches under the tables' change
    stamps: read again after any write (here Core UPDATEs that leave updated_at alone), not before."""
    from citycockpit.events import routing
    from tests.builders import make_department

    first = intake.Lookups(db, whole=True).minor_category("E0102")
    assert first is not None and intake.Lookups(db, whole=True).minor_category("E0102") is first
    radius = (first.duplicate_radius_m or 0) + 7
    db.execute(update(EventCategory).where(EventCategory.code == "E0102").values(duplicate_radius_m=radius))
    again = intake.Lookups(db, whole=True).minor_category("E0102")
    assert again is not first and again is not None and again.duplicate_radius_m == radius
    assert db.get(EventCategory, first.id) is not again  # a copy: the session's own object stays its own

    assert routing.DepartmentLookup(db, whole=True).id_for(routing.TOWN, "320585199") is None
    government = make_department(db, "T199", "新镇政府", kind="镇", now=clock.now())
    db.execute(update(Department).where(Department.id == government.id).values(area_code="320585199"))
    assert routing.DepartmentLookup(db, whole=True).id_for(routing.TOWN, "320585199") == government.id


def test_batch_lookups_read_whole_tables_and_answer_as_single_lookups(db, clock, city, categories):
    # The intake writer and the hotline import read every minor category and department at once; each
    # answer must be what a one-code lookup gives, an unknown code included.
    from citycockpit.events import routing
    from tests.builders import make_department

    town = make_department(db, "T100", "城厢镇人民政府", kind="镇", now=clock.now())
    town.area_code = "320585100"
    retired = make_department(db, "T101", "旧镇政府", kind="镇", now=clock.now())
    retired.area_code, retired.is_active = "320585101", False
    db.flush()
    whole, single = intake.Lookups(db, whole=True), intake.Lookups(db)
    codes = [*db.scalars(select(EventCategory.code)), "X9999"]
    for code in codes:
        assert _columns(whole.minor_category(code)) == _columns(single.minor_category(code)), code
    assert whole.minor_category("E0102") is not None and whole.minor_category("E01") is None
    department_codes = [*db.scalars(select(EventCategory.default_department_code)), "NOPE", None]
    towns = ["320585100", "320585101", "320585199", None]
    batch = routing.DepartmentLookup(db, whole=True)
    for code in {*department_codes, routing.TOWN}:
        for town_code in towns:
            expected = routing.department_id_for(db, code, town_code)
            assert batch.id_for(code, town_code) == expected, (code, town_code)
    assert batch.id_for(routing.TOWN, "320585100") == town.id
    assert batch.id_for(routing.TOWN, "320585101") is None  # an inactive government is not picked


def test_an_incident_reported_300_times_is_one_original_and_299_duplicates_proposed_once_each(
    db, clock, categories, dispatcher
):
    """A burst main reported by hundreds of callers within a few metres: each report is proposed
    against the one original (not against the earlier duplicates), so the 300th report's lookup reads
    as much as the 10th's: the same statements, and one original at the spot in the lookup's index."""
    statements: list[str] = []
    conn = db.connection()

    def count(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    per_report: dict[int, int] = {}
    events = []
    sa_event.listen(conn, "before_cursor_execute", count)
    try:
        for i in range(300):
            statements.clear()
            events.append(
                report(
                    db,
                    dispatcher.principal,
                    clock.now() + timedelta(seconds=i),
                    lat=GRID_A[0] + (i % 7) * 0.00001,  # within ~7 m of one another
                    lon=GRID_A[1] + (i % 5) * 0.00001,
                    reporter_phone=f"1390000{i:04d}",
                )
            )
            per_report[i + 1] = len(statements)
    finally:
        sa_event.remove(conn, "before_cursor_execute", count)
    original = events[0]
    assert [e.duplicate_of_id for e in events] == [None] + [original.id] * 299
    proposals = db.execute(
        select(DuplicateProposal.original_id, func.count())
        .where(DuplicateProposal.event_id.in_([e.id for e in events]))
        .group_by(DuplicateProposal.original_id)
    ).all()
    assert proposals == [(original.id, 299)]
    assert per_report[300] == per_report[10]
    originals_at_spot = db.scalar(
        select(func.count())
        .select_from(Event)
        .where(
            Event.category_code == "E0102",
            Event.lat.between(GRID_A[0] - 0.001, GRID_A[0] + 0.001),
            Event.lon.between(GRID_A[1] - 0.001, GRID_A[1] + 0.001),
            Event.duplicate_of_id.is_(None),
        )
    )
    assert originals_at_spot == 1


def test_reports_of_one_batch_at_one_spot_share_its_first_report_as_original(
    db, clock, categories, dispatcher
):
    """Open311's writer inserts a batch at once: the batch's first report is the original, the others
    its duplicates, as if they had come one by one."""
    now = clock.now()
    inputs = [
        intake.EventInput(
            description="路口水管爆裂，水漫到路面",
            channel="open311",
            category_code="E0102",
            lat=GRID_A[0] + i * 0.00001,
            lon=GRID_A[1],
        )
        for i in range(5)
    ]
    created = intake.create_events(
        db, [intake.Submission(data, dispatcher.principal) for data in inputs], now=now
    )
    ids = [c.id for c in created if isinstance(c, intake.Created)]
    of = dict(db.execute(select(Event.id, Event.duplicate_of_id).where(Event.id.in_(ids))).all())
    assert [of[i] for i in ids] == [None] + [ids[0]] * 4
