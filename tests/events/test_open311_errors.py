"""Every error under /open311/v2 is Open311's error list ({code, description}, JSON or XML by the
path's format), never problem+json: the public rate limit, a bad date, an unknown path or method, a NUL
character, too large a body."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

BASE = "/open311/v2"


def _errors(r, fmt):  # type: ignore[no-untyped-def]
    assert not r.headers["content-type"].startswith("application/problem+json"), r.text
    if fmt == "json":
        assert r.headers["content-type"].startswith("application/json")
        return [(e["code"], e["description"]) for e in r.json()]
    assert r.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(r.content)
    assert root.tag == "errors"
    return [(int(e.findtext("code") or 0), e.findtext("description")) for e in root.findall("error")]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_public_rate_limit_answers_in_the_error_list_with_retry_after(client, categories, fmt):  # type: ignore[no-untyped-def]
    client.app.state.settings.rate_limit_public_per_minute = 2
    answers = [client.get(f"{BASE}/services.{fmt}") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert _errors(answers[2], fmt)[0][0] == 429
    assert int(answers[2].headers["Retry-After"]) > 0


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_far_future_start_date_is_a_400_in_the_error_list(client, categories, fmt):  # type: ignore[no-untyped-def]
    r = client.get(f"{BASE}/requests.{fmt}", params={"start_date": "9999-12-31T00:00:00Z"})
    assert r.status_code == 400
    assert _errors(r, fmt)[0][0] == 400


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_path_or_method_answers_in_the_error_list(client, fmt):  # type: ignore[no-untyped-def]
    missing = client.get(f"{BASE}/nothing-here.{fmt}")
    assert (missing.status_code, _errors(missing, fmt)[0][0]) == (404, 404)
    wrong = client.delete(f"{BASE}/services.{fmt}")
    assert (wrong.status_code, _errors(wrong, fmt)[0][0]) == (405, 405)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_nul_character_answers_in_the_error_list(client, fmt):  # type: ignore[no-untyped-def]
    r = client.get(f"{BASE}/requests.{fmt}", params={"service_code": "E01\x0002"})
    assert r.status_code == 422
    assert "NUL" in _errors(r, fmt)[0][1]


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("path_suffix", "body"),
    [
        ("", b"api_key=x&service_code=E01%0002&lat=31.45&long=121.13"),  # percent-encoded in the form
        ("", b"api_key=x&service_code=E0102&description=\\u0000&lat=31.45&long=121.13"),  # JSON-escaped
        ("?jurisdiction_id=%00", b"api_key=x&service_code=E0102&lat=31.45&long=121.13"),  # in the query
    ],
)
def test_a_posted_nul_is_refused_in_the_error_list_with_the_security_headers(  # type: ignore[no-untyped-def]
    client, fmt, path_suffix, body
):
    """The POST is answered by the intake's fast path, outside the NUL middleware: it applies the same
    rule (422, nothing stored) and its answers carry the same headers."""
    r = client.post(f"{BASE}/requests.{fmt}{path_suffix}", content=body, headers=FORM)
    assert r.status_code == 422
    assert "NUL" in _errors(r, fmt)[0][1]
    assert (
        r.headers["x-content-type-options"] == "nosniff"
        and "default-src 'self'" in r.headers["content-security-policy"]
    )


def test_the_fast_path_and_the_route_answer_a_post_with_the_same_headers(client, categories):  # type: ignore[no-untyped-def]
    """A urlencoded POST is answered by the fast path, a multipart one by the route through every
    middleware: the same refusal and the same security headers either way."""
    fields = {
        "api_key": "no-such-key",
        "service_code": "E0102",
        "lat": "31.45",
        "long": "121.13",
    }
    fast = client.post(f"{BASE}/requests.json", data=fields)
    routed = client.post(f"{BASE}/requests.json", data=fields, files={"media": ("a.txt", b"x", "text/plain")})
    assert fast.status_code == routed.status_code == 400, (fast.text, routed.text)  # no description
    assert fast.json() == routed.json()
    volatile = {"x-request-id", "content-length", "date", "server"}
    assert {k: v for k, v in fast.headers.items() if k not in volatile} == {
        k: v for k, v in routed.headers.items() if k not in volatile
    }
    assert fast.headers["cache-control"] == "no-store" and fast.headers["x-frame-options"] == "DENY"
