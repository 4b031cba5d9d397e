"""A bounded fuzz pass over the OpenAPI schema (schemathesis + hypothesis, in-process): no 500s.

Three passes: every operation signed in as an admin (every permission but pii:read, so the generated
requests reach the handlers instead of stopping at 401/403), a few examples each; the public Open311
routes anonymously, with more examples, and their answers must be Open311's error list, never
problem+json; and every upload route with a corpus of hostile files (malformed and entity-laden .docx,
a PDF whose streams expand past pypdf's limit, bytes that are no spreadsheet, unknown text encodings).
Date-time values include the calendar's edges, bare dates and zone-less times. Together about a minute
per database engine."""

from __future__ import annotations

import os
import zlib
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citycockpit.auth.sessions import COOKIE_NAME

# Operations that end the caller's own session are fuzzed too; the session is re-created per call.
# CITYCOCKPIT_FUZZ_EXAMPLES=N runs a deeper pass by hand (N examples per operation, 40 × N/3 for Open311).
EXAMPLES_PER_OPERATION = int(os.environ.get("CITYCOCKPIT_FUZZ_EXAMPLES") or 3)
OPEN311_EXAMPLES_PER_OPERATION = max(40, EXAMPLES_PER_OPERATION * 40 // 3)

# Instants as clients get them wrong: the calendar's ends with offsets UTC cannot hold, bare dates,
# zone-less times, next to ordinary ones.
EDGE_INSTANTS = [
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59Z",
    "2030-01-01",
    "2030-01-01T00:00:00",
    "2024-09-30T10:00:00+08:00",
    "2024-02-30T00:00:00Z",
]
DATE_TIMES = st.sampled_from(EDGE_INSTANTS) | st.datetimes(timezones=st.timezones()).map(
    lambda d: d.isoformat()
)


def _request_kwargs(case: Any) -> dict[str, Any]:
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    out: dict[str, Any] = {
        "method": kwargs["method"],
        "url": kwargs["url"],
        "params": kwargs.get("params"),
        "headers": {k: v for k, v in (kwargs.get("headers") or {}).items() if k.lower() != "cookie"},
    }
    if "json" in kwargs:
        out["json"] = kwargs["json"]
    elif isinstance(kwargs.get("data"), bytes | str):
        out["content"] = kwargs["data"]
    elif kwargs.get("data") is not None:
        out["data"] = kwargs["data"]
    if kwargs.get("files"):
        out["files"] = kwargs["files"]
    return out


def _fuzz(
    client: TestClient, operations: list[Any], examples: int, prepare: Any, check_answer: Any = None
) -> list[str]:
    failures: list[str] = []
    for operation in operations:

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            kwargs = _request_kwargs(case)
            prepare(kwargs)
            r = client.request(**kwargs, follow_redirects=False)
            wrong = r.status_code >= 500 or (check_answer is not None and not check_answer(r))
            if wrong:
                failures.append(
                    f"{kwargs['method']} {kwargs['url']} {kwargs.get('params')} -> {r.status_code} {r.text[:200]}"
                )

        check()
    return failures


def _schema(client: TestClient) -> Any:
    client.app.state.settings.rate_limit_public_per_minute = 1_000_000
    client.app.state.settings.rate_limit_login_per_minute = 1_000_000
    client.app.state.settings.rate_limit_api_key_per_minute = 1_000_000
    schemathesis.openapi.format("date-time", DATE_TIMES)
    return schemathesis.openapi.from_dict(client.app.openapi())


@pytest.mark.slow
def test_fuzzing_every_operation_finds_no_server_error(client: TestClient, db, clock, admin) -> None:  # type: ignore[no-untyped-def]
    from citycockpit.auth.sessions import start_session

    schema = _schema(client)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15

    def signed_in(kwargs: dict[str, Any]) -> None:
        new = start_session(db, admin.user, now=clock.now())
        kwargs["headers"].update({"X-CSRF-Token": new.csrf_token})
        client.cookies.clear()
        client.cookies.set(COOKIE_NAME, new.cookie)

    assert _fuzz(client, operations, EXAMPLES_PER_OPERATION, signed_in) == []


def _is_open311_answer(r: Any) -> bool:
    """An Open311 route answers JSON or XML, never problem+json, and its errors are the spec's list."""
    media = r.headers.get("content-type", "")
    if media.startswith("application/problem+json"):
        return False
    if r.status_code < 400:
        return True
    if media.startswith("application/json"):
        body = r.json()
        return isinstance(body, list) and all({"code", "description"} <= set(item) for item in body)
    return media.startswith("text/xml") and b"<errors><error><code>" in r.content


@pytest.mark.slow
def test_fuzzing_the_public_open311_routes_finds_no_server_error_and_only_its_error_list(
    client: TestClient, db, clock, city
) -> None:  # type: ignore[no-untyped-def]
    from citycockpit.events import categories as cats
    from tests.events.conftest import CATEGORY_YAML, TESTER

    cats.import_categories(db, CATEGORY_YAML.encode(), "test.yaml", actor=TESTER, now=clock.now())
    schema = _schema(client)
    operations = [
        result.ok() for result in schema.get_all_operations() if result.ok().path.startswith("/open311/")
    ]
    assert len(operations) == 8  # the seven of Open311 and the public photo copies (media_url)

    def anonymous(kwargs: dict[str, Any]) -> None:
        client.cookies.clear()
        # most generated formats are nonsense (404): two calls in three use a real one
        base, _, fmt = kwargs["url"].rpartition(".")
        pick = zlib.crc32(kwargs["url"].encode()) % 3
        if base and fmt not in ("json", "xml") and pick:
            kwargs["url"] = f"{base}.{'json' if pick == 1 else 'xml'}"

    failures = _fuzz(client, operations, OPEN311_EXAMPLES_PER_OPERATION, anonymous, _is_open311_answer)
    assert failures == []


def _docx(document_xml: bytes) -> bytes:
    from tests.report.test_malformed_files import _docx_with

    return _docx_with(document_xml)


def _hostile_files() -> list[tuple[str, bytes]]:
    from tests.report.test_malformed_files import BILLION_LAUGHS, _flate_bomb_pdf

    return [
        ("bomb.docx", _docx(BILLION_LAUGHS)),
        ("broken.docx", _docx(b"<w:document><w:body><w:p>")),
        ("bomb.pdf", _flate_bomb_pdf()),
        ("garbage.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ntrailer"),
        ("fake.xlsx", b"PK\x03\x04 not a workbook"),
        ("zip.xlsx", _docx(b"<x/>")),
        ("nul.csv", "名称,数值\n甲\x00乙,1\n".encode()),
        ("gbk.csv", "名称,数值\n甲,1\n".encode("gb18030")),
        ("control.csv", "名称,数值\n\x01\x02,\x1b\n".encode()),
        ("empty.csv", b""),
        ("report.txt", b"\xff\xfe\x00\x00 binary \x00\x01\x02"),
        ("data.yaml", b"a: &a [*a, *a]\n"),
    ]


@pytest.mark.slow
def test_hostile_files_on_every_upload_route_find_no_server_error(
    client: TestClient, db, clock, admin
) -> None:  # type: ignore[no-untyped-def]
    spec = client.app.openapi()
    uploads = [
        (path, method)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if "multipart/form-data" in op.get("requestBody", {}).get("content", {})
        and not path.startswith("/open311/")  # form fields, no file: fuzzed above
    ]
    assert len(uploads) >= 7
    failures = []
    for path, method in uploads:
        url = path.replace("{", "").replace("}", "")  # path ids become names: a 404/422 is fine
        for name, data in _hostile_files():
            for params in ({}, {"encoding": "bogus"}) if name.endswith(".csv") else ({},):
                r = client.request(
                    method.upper(), url, params=params, files={"file": (name, data)}, headers=admin.headers
                )
                if r.status_code >= 500:
                    failures.append(
                        f"{method.upper()} {path} {name} {params} -> {r.status_code} {r.text[:200]}"
                    )
    assert failures == []
