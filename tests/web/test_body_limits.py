"""Request bodies over their route's limit are refused with 413 before they are read, uploads are read
only from an authenticated caller, and Open311 answers these refusals in its own error list."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

PROBLEM = "application/problem+json"
MIB = 1024 * 1024


@pytest.fixture
def small_limits(settings):  # type: ignore[no-untyped-def]
    settings.request_body_limit_bytes = 64 * 1024
    settings.upload_body_limit_bytes = 256 * 1024
    return settings


def _json_body(size: int) -> bytes:
    return json.dumps({"description": "垃" * (size // 3)}).encode()


def test_an_anonymous_json_body_over_the_limit_is_413_not_read_for_the_401(client, small_limits):  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/events", content=_json_body(MIB), headers={"Content-Type": "application/json"})
    assert (r.status_code, r.headers["content-type"]) == (413, PROBLEM)
    assert r.json()["code"] == "payload_too_large"
    assert r.json()["limit"] == 64 * 1024


def test_a_json_body_within_the_limit_reaches_the_route(client, small_limits):  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/events", json={"description": "垃圾"})
    assert r.status_code == 401


def test_a_chunked_body_is_counted_while_it_streams(client, small_limits):  # type: ignore[no-untyped-def]
    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b" " * 4096  # 160 KiB in all, no Content-Length

    r = client.post("/api/v1/events", content=chunks(), headers={"Content-Type": "application/json"})
    assert "content-length" not in {k.lower() for k in r.request.headers}
    assert (r.status_code, r.json()["code"]) == (413, "payload_too_large")


def test_an_upload_from_an_anonymous_caller_is_refused_before_it_is_read(client, small_limits):  # type: ignore[no-untyped-def]
    files = {"file": ("big.csv", b"a,b\n" + b"1,2\n" * 40_000, "text/csv")}  # 160 KiB: over JSON's limit
    r = client.post("/api/v1/events/import", files=files)
    assert (r.status_code, r.json()["code"]) == (401, "unauthorized")


def test_an_upload_route_takes_more_than_json_from_a_signed_in_caller(client, small_limits, admin):  # type: ignore[no-untyped-def]
    sheet = "工单编号,诉求内容,分类编码\n" + "".join(f"T{i},路口有垃圾,X99\n" for i in range(4000))
    assert 64 * 1024 < len(sheet.encode()) < 256 * 1024
    files = {"file": ("h.csv", sheet.encode(), "text/csv")}
    r = client.post("/api/v1/events/import", files=files, headers=admin.headers)
    assert r.status_code == 422, r.text  # read and checked: its categories are unknown
    assert r.json()["code"] == "import_failed"


def test_an_upload_over_the_upload_limit_is_413(client, small_limits, admin):  # type: ignore[no-untyped-def]
    files = {"file": ("big.csv", b"a,b\n" + b"1,2\n" * 100_000, "text/csv")}  # 400 KiB
    r = client.post("/api/v1/events/import", files=files, headers=admin.headers)
    assert (r.status_code, r.json()["code"]) == (413, "payload_too_large")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_refuses_a_large_body_in_its_own_error_list(client, small_limits, fmt):  # type: ignore[no-untyped-def]
    body = b"api_key=x&service_code=E0102&description=" + b"a" * (100 * 1024)
    r = client.post(
        f"/open311/v2/requests.{fmt}",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 413
    if fmt == "json":
        assert r.json()[0]["code"] == 413
    else:
        assert r.content.startswith(
            b'<?xml version="1.0" encoding="UTF-8"?>\n<errors><error><code>413</code>'
        )
