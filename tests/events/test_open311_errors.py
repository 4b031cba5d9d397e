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
