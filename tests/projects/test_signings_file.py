"""The signing list (招商引资签约项目) from XLSX or CSV: all or nothing, every bad row reported, each good
row recorded as a flagged, audited signing; a list cannot be loaded twice."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from citycockpit.audit.models import AuditEntry
from citycockpit.cli import app as cli_app
from citycockpit.projects.models import InvestmentSigning
from citycockpit.projects.signings_file import COLUMNS
from tests.builders import sqlite_file_with_demo_org, xlsx_bytes

HEADER = [header for _, header in COLUMNS]
GOOD = [
    ["S1", "模泰柯汽车系统项目", "模泰柯(中国)有限公司", "德国", "汽车零部件", "是", "美元", "城厢镇", "发改委",
     "2024-02-10", "5000", "80000", "11000", "800"],
    ["S2", "高端材料项目", "太仓某公司", "", "先进材料", "否", "", "320585101", "FGW",
     "2024/05/03", "2,000", "120000", "", ""],
    ["S3", "小型配套项目", "太仓某公司", "", "先进材料", "", "人民币", "沙溪镇", "太仓市发展和改革委员会",
     "2024年6月1日", "1500", "3000", "", "0"],
]  # fmt: skip


def _xlsx(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    return xlsx_bytes("签约项目", header, rows)  # type: ignore[arg-type]


def _post(client, supervisor, data: bytes, name: str = "signings.xlsx"):  # type: ignore[no-untyped-def]
    files = {"file": (name, data, "application/octet-stream")}
    return client.post("/api/v1/projects/signings/import", files=files, headers=supervisor.headers)


def test_a_good_list_records_every_signing_flagged_and_audited(client, db, city, supervisor):  # type: ignore[no-untyped-def]
    r = _post(client, supervisor, _xlsx(GOOD))
    assert (r.status_code, r.json()) == (200, {"recorded": 3, "codes": ["S1", "S2", "S3"]})
    signings = {s.code: s for s in db.scalars(select(InvestmentSigning))}
    s1, s2, s3 = signings["S1"], signings["S2"], signings["S3"]
    assert (s1.currency, s1.is_foreign_funded, s1.area_code, s1.country) == ("USD", True, "320585100", "德国")
    assert s1.department_id == s2.department_id == s3.department_id == city["fgw"].id
    assert (s2.registered_capital_wan_cny, s2.signed_on.isoformat(), s3.signed_on.isoformat()) == (
        2000,
        "2024-05-03",
        "2024-06-01",
    )
    flags = {code: (s.is_above_threshold, s.is_major) for code, s in signings.items()}
    assert flags == {"S1": (True, True), "S2": (True, True), "S3": (False, False)}
    audited = db.scalar(select(func.count()).where(AuditEntry.action == "signing.create"))
    assert audited == 3
    again = _post(client, supervisor, _xlsx(GOOD))  # the same list again: refused, nothing doubled
    assert again.status_code == 422 and "already recorded" in again.text
    assert db.scalar(select(func.count()).select_from(InvestmentSigning)) == 3


def test_every_bad_row_is_reported_and_nothing_is_stored(client, db, city, supervisor):  # type: ignore[no-untyped-def]
    bad = [
        GOOD[0],
        ["S2", "x", "y", "", "造船", "否", "", "城厢镇", "发改委", "2024-02-30", "100", "200", "", ""],
        [
            "S3",
            "x",
            "y",
            "",
            "先进材料",
            "也许",
            "卢布",
            "火星镇",
            "无此单位",
            "2024-03-01",
            "-1",
            "abc",
            "",
            "",
        ],
        ["S1", "x", "y", "", "先进材料", "否", "", "城厢镇", "发改委", "2024-03-01", "100", "200", "", ""],
        ["S5", "", "y", "", "先进材料", "否", "", "城厢镇", "发改委", "", "100", "200", "", ""],
    ]
    r = _post(client, supervisor, _xlsx(bad))
    assert (r.status_code, r.json()["code"]) == (422, "import_failed")
    # each reason names its column in its first two words ("unknown 币种 …", "签约日期 '…' is not a date")
    reasons = {(e["row"], word) for e in r.json()["errors"] for word in e["reason"].split(" ")[:2]}
    assert {(3, "产业类别"), (3, "签约日期"), (4, "币种"), (4, "是否外资"), (4, "所在区域")} <= reasons
    assert {
        (4, "签约单位"),
        (4, "注册资金(万元)"),
        (4, "总投资(万元)"),
        (5, "duplicate"),
        (6, "empty"),
    } <= reasons
    assert db.scalar(select(func.count()).select_from(InvestmentSigning)) == 0


def test_a_file_of_another_kind_or_without_a_column_is_refused_clearly(client, city, supervisor):  # type: ignore[no-untyped-def]
    r = _post(client, supervisor, b"S1,x", name="signings.txt")
    assert r.status_code == 422 and ".xlsx" in r.json()["detail"]
    r = _post(client, supervisor, _xlsx(GOOD, header=[h for h in HEADER if h != "签约日期"]))
    assert r.status_code == 422 and "missing column(s) 签约日期" in r.json()["detail"]


def test_a_department_may_not_import_signings(client, city, dept_staff):  # type: ignore[no-untyped-def]
    assert _post(client, dept_staff, _xlsx(GOOD)).status_code == 403


def test_the_command_reads_a_gb18030_csv(tmp_path: Path) -> None:
    path = sqlite_file_with_demo_org(tmp_path)
    runner = CliRunner()
    csv = tmp_path / "signings.csv"
    row = [
        "C1",
        "光伏项目",
        "某公司",
        "",
        "新能源",
        "否",
        "",
        "城厢镇",
        "发改委",
        "2024-04-01",
        "3000",
        "9000",
        "",
        "",
    ]
    csv.write_bytes(("\n".join([",".join(HEADER), ",".join(row)]) + "\n").encode("gb18030"))
    args = ["projects", "import-signings", str(csv), "--encoding", "gb18030", "--db", path]
    result = runner.invoke(cli_app, args)
    assert result.exit_code == 0, result.output
    assert "recorded 1 signing(s)" in result.output
