"""Area-subtree filters as index-friendly ranges: the same rows as a prefix match, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from citycockpit.core.dialect import code_within
from citycockpit.org.models import Area


def test_a_range_selects_exactly_the_subtree(db, city):  # type: ignore[no-untyped-def]
    codes = db.scalars(select(Area.code)).all()
    assert len(codes) > 5
    for prefix in sorted({c[:n] for c in codes for n in (6, 9, 12, 15) if len(c) >= n}):
        got = sorted(db.scalars(select(Area.code).where(code_within(Area.code, prefix))))
        assert got == sorted(c for c in codes if c.startswith(prefix)), prefix


@pytest.mark.parametrize("prefix", ["999", "12a", "3205851009"])
def test_odd_prefixes_still_mean_starts_with(db, city, prefix):  # type: ignore[no-untyped-def]
    codes = db.scalars(select(Area.code)).all()
    got = sorted(db.scalars(select(Area.code).where(code_within(Area.code, prefix))))
    assert got == sorted(c for c in codes if c.startswith(prefix))


def test_the_range_is_served_by_the_index_on_postgresql(db, city, backend):  # type: ignore[no-untyped-def]
    if backend != "postgresql":
        pytest.skip("the plan question is PostgreSQL's (LIKE needs the C collation there)")
    from sqlalchemy import text

    db.execute(text("SET LOCAL enable_seqscan = off"))
    stmt = select(Area.id).where(code_within(Area.code, "320585100"))
    sql = str(stmt.compile(db.get_bind(), compile_kwargs={"literal_binds": True}))
    plan = "\n".join(r[0] for r in db.execute(text("EXPLAIN " + sql)))
    # With sequential scans priced out, a condition no index can serve still shows as a Seq Scan.
    assert "Index" in plan and "Seq Scan" not in plan, plan
