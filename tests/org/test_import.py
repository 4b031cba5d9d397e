"""Org import: the shipped Taicang data loads; broken files name the row and change nothing."""

from __future__ import annotations

from importlib import resources

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citycockpit.core.actors import SystemActor
from citycockpit.core.clock import Clock
from citycockpit.core.tabular import ImportFailed
from citycockpit.org import service
from citycockpit.org.models import Area, Department

ACTOR = SystemActor("test")
TAICANG = resources.files("citycockpit.demo").joinpath("data/taicang-org.yaml").read_bytes()


def _counts(db: Session) -> tuple[int, int]:
    return db.scalar(select(func.count(Area.id))) or 0, db.scalar(select(func.count(Department.id))) or 0


def _import(db: Session, clock: Clock, content: bytes | str, name: str, **kw) -> service.ImportResult:  # type: ignore[no-untyped-def]
    data = content.encode("utf-8") if isinstance(content, str) else content
    return service.import_org(db, data, name, actor=ACTOR, now=clock.now(), **kw)


def test_the_shipped_taicang_data_imports_with_nested_grid_codes(db: Session, clock: Clock) -> None:
    result = _import(db, clock, TAICANG, "taicang-org.yaml")
    assert result.created["areas"] > 150 and result.created["departments"] >= 20
    grids = db.scalars(select(Area).where(Area.level == "grid")).all()
    assert grids and all(len(g.code) == 15 and g.code.startswith("320585") for g in grids)
    sample = grids[0]
    assert sample.parent is not None and sample.code.startswith(sample.parent.code)
    names = set(db.scalars(select(Department.short_name)).all())
    assert {"发改委", "城管局", "12345中心", "生态环境局"} <= names


def test_importing_the_same_file_twice_updates_instead_of_duplicating(db: Session, clock: Clock) -> None:
    _import(db, clock, TAICANG, "taicang-org.yaml")
    before = _counts(db)
    again = _import(db, clock, TAICANG, "taicang-org.yaml")
    assert _counts(db) == before
    assert again.created == {"areas": 0, "departments": 0}


def test_an_unknown_parent_code_names_the_row_and_stores_nothing(db: Session, clock: Clock) -> None:
    csv = "code,name,level,parent_code\n320585,太仓市,city,\n320585100,城厢镇,town,320585\n320585999001,某村,village,320585999\n"
    with pytest.raises(ImportFailed) as caught:
        _import(db, clock, csv, "areas.csv")
    assert caught.value.row_errors[0].row == 4
    assert "unknown parent code 320585999" in caught.value.row_errors[0].reason
    assert _counts(db) == (0, 0)


@pytest.mark.parametrize(
    ("name", "csv"),
    [
        ("areas.csv", "code,name,level,parent_code\n320585,太仓市,city,\n320585100,城厢镇,town,320585100\n"),
        ("depts.csv", "code,name,kind,parent_code\nCGJ,城管局,委办局,\nFGW,发改委,委办局,FGW\n"),
    ],
)
def test_a_row_naming_itself_as_its_parent_is_refused_for_areas_and_departments_alike(
    db: Session, clock: Clock, name: str, csv: str
) -> None:
    with pytest.raises(ImportFailed) as caught:
        _import(db, clock, csv, name)
    error = caught.value.row_errors[0]
    assert (error.row, error.code) == (3, "unknown_parent")
    assert _counts(db) == (0, 0)


def test_a_duplicate_code_is_reported_with_both_rows(db: Session, clock: Clock) -> None:
    csv = "code,name,kind\nCGJ,城管局,委办局\nFGW,发改委,委办局\nCGJ,城市管理局,委办局\n"
    with pytest.raises(ImportFailed) as caught:
        _import(db, clock, csv, "depts.csv")
    error = caught.value.row_errors[0]
    assert (error.row, error.reason) == (4, "duplicate code CGJ (first on row 2)")
    assert _counts(db) == (0, 0)


def test_a_missing_column_is_reported_on_the_header_row(db: Session, clock: Clock) -> None:
    with pytest.raises(ImportFailed) as caught:
        _import(db, clock, "code,level\n320585,city\n", "areas.csv")
    assert caught.value.row_errors[0].row == 1
    assert "missing column(s) name" in caught.value.row_errors[0].reason


def test_a_gbk_encoded_csv_is_refused_with_a_hint_unless_its_encoding_is_given(
    db: Session, clock: Clock
) -> None:
    data = "code,name,level\n320585,太仓市,city\n320585100,城厢镇,town\n".encode("gbk")
    with pytest.raises(ImportFailed) as caught:
        _import(db, clock, data, "areas.csv")
    assert caught.value.row_errors[0].row == 2
    assert "GBK" in caught.value.row_errors[0].reason
    assert _counts(db) == (0, 0)
    result = _import(db, clock, data, "areas.csv", encoding="gb18030")
    assert result.created["areas"] == 2
    assert db.scalars(select(Area.name).where(Area.code == "320585100")).one() == "城厢镇"


def test_a_bad_row_in_a_later_table_keeps_earlier_valid_rows_out_too(db: Session, clock: Clock) -> None:
    doc = "areas:\n- {code: '320585', name: 太仓市}\ndepartments:\n- {code: CGJ, name: 城管局, kind: 不存在的类型}\n"
    with pytest.raises(ImportFailed) as caught:
        _import(db, clock, doc, "org.yaml")
    assert "kind '不存在的类型'" in caught.value.row_errors[0].reason
    assert _counts(db) == (0, 0)


def test_a_child_code_that_does_not_extend_its_parent_is_refused(db: Session, clock: Clock) -> None:
    csv = "code,name,parent_code\n320585,太仓市,\n320586,昆山市,\n320585100,城厢镇,320586\n"
    with pytest.raises(ImportFailed) as caught:
        _import(db, clock, csv, "areas.csv")
    assert "does not start with its parent's code 320586" in caught.value.row_errors[0].reason


@pytest.mark.parametrize("kind", ["yaml", "xlsx"])
def test_an_export_reimports_unchanged(db: Session, clock: Clock, kind: str) -> None:
    _import(db, clock, TAICANG, "taicang-org.yaml")
    before = _counts(db)
    exported = service.export_org(db, kind)
    result = _import(db, clock, exported, f"export.{kind}")
    assert result.created == {"areas": 0, "departments": 0}
    assert result.updated == {"areas": 0, "departments": 0}
    assert _counts(db) == before
