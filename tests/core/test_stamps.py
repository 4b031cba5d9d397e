"""Change stamps: every write to a watched table renews its token, whichever way it is made, and a
rolled-back write leaves the token it found."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, text, update

from citycockpit.core import stamps
from citycockpit.org.models import Area
from tests.builders import make_area
from tests.events.conftest import categories  # noqa: F401  (a fixture)


def test_every_kind_of_write_to_a_watched_table_renews_its_stamp(db, clock):  # type: ignore[no-untyped-def]
    seen = [stamps.current(db, "areas")]
    assert seen[0] and len(seen[0]) == 32

    def renewed() -> bool:
        db.flush()
        token = stamps.current(db, "areas")
        fresh = token not in seen
        seen.append(token)
        return fresh

    area = make_area(db, "320585", "太仓市", now=clock.now())  # ORM insert
    assert renewed()
    area.name = "太仓"  # ORM update
    assert renewed()
    db.execute(update(Area).where(Area.code == "320585").values(centroid_lat=31.5))  # Core, same updated_at
    assert renewed()
    db.execute(text("UPDATE areas SET geometry_geojson = NULL WHERE code = '320585'"))  # hand-written SQL
    assert renewed()
    db.execute(delete(Area).where(Area.code == "320585"))
    assert renewed()
    db.execute(text("SELECT 1 FROM areas"))
    assert not renewed()  # reading is not writing


def test_a_rolled_back_write_leaves_the_stamp_it_found(db, clock):  # type: ignore[no-untyped-def]
    before = stamps.current(db, "areas")
    with db.begin_nested():
        make_area(db, "320585", "太仓市", now=clock.now())
        db.flush()
        assert stamps.current(db, "areas") != before
        db.rollback()
    assert stamps.current(db, "areas") == before


def test_every_watched_table_has_a_stamp_and_an_unwatched_one_none(db):  # type: ignore[no-untyped-def]
    assert all(stamps.current(db, table) for table in stamps.WATCHED)
    assert stamps.current(db, "events") is None


@pytest.mark.usefixtures("city", "categories")
@pytest.mark.parametrize("table", stamps.WATCHED)
def test_each_watched_table_renews_its_own_stamp_only(db, table):  # type: ignore[no-untyped-def]
    before = {name: stamps.current(db, name) for name in stamps.WATCHED}
    db.execute(text(f"UPDATE {table} SET updated_at = updated_at"))  # noqa: S608 (a name from WATCHED)
    after = {name: stamps.current(db, name) for name in stamps.WATCHED}
    assert {name for name in stamps.WATCHED if after[name] != before[name]} == {table}
