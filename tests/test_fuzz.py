"""A bounded fuzz pass over the OpenAPI schema (schemathesis + hypothesis, in-process): no 500s.

Signed in as an admin (every permission but pii:read), so the generated requests reach the handlers
instead of stopping at 401/403. A few examples per operation keep it to seconds."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from citycockpit.auth.sessions import COOKIE_NAME

# Operations that end the caller's own session are fuzzed too; the session is re-created per call.
EXAMPLES_PER_OPERATION = 3


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


@pytest.mark.slow
def test_fuzzing_every_operation_finds_no_server_error(client: TestClient, db, clock, admin) -> None:  # type: ignore[no-untyped-def]
    from citycockpit.auth.sessions import start_session

    client.app.state.settings.rate_limit_public_per_minute = 1_000_000
    client.app.state.settings.rate_limit_login_per_minute = 1_000_000
    schema = schemathesis.openapi.from_dict(client.app.openapi())
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            new = start_session(db, admin.user, now=clock.now())
            kwargs = _request_kwargs(case)
            kwargs["headers"].update({"X-CSRF-Token": new.csrf_token})
            client.cookies.clear()
            client.cookies.set(COOKIE_NAME, new.cookie)
            r = client.request(**kwargs, follow_redirects=False)
            if r.status_code >= 500:
                failures.append(
                    f"{kwargs['method']} {kwargs['url']} {kwargs.get('params')} -> {r.status_code} {r.text[:200]}"
                )

        check()
    assert failures == []
