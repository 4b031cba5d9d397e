"""Every AppError survives pickling with its whole state, whatever its constructor takes: the intake
writer process sends the refusals it makes (403, 404, 429 with Retry-After, 400 with its list of
problems) to the server process, which answers with them."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime

from citycockpit.auth.ratelimit import RateLimited, too_many
from citycockpit.core.errors import AppError, Forbidden, NotFound, ServiceUnavailable
from citycockpit.events.errors import InvalidEventInput


def _same(error: AppError) -> AppError:
    back = pickle.loads(pickle.dumps(error, pickle.HIGHEST_PROTOCOL))
    assert type(back) is type(error)
    assert back.__dict__ == error.__dict__ and back.args == error.args and str(back) == str(error)
    return back


def test_refusals_keep_their_detail_and_extras_across_a_pickle() -> None:
    limited = _same(too_many(datetime(2024, 9, 30, 10, 0, 20, tzinfo=UTC), detail="api_key over its limit"))
    assert isinstance(limited, RateLimited) and limited.retry_after == 40
    assert limited.extra == {"retry_after": 40}
    invalid = _same(InvalidEventInput("bad", errors=["lat is out of range", "phone is not a number"]))
    assert invalid.extra["errors"] == ["lat is out of range", "phone is not a number"]
    assert _same(ServiceUnavailable("retry", retry_after=5)).extra == {"retry_after": 5}
    assert _same(Forbidden("api_key is missing")).detail == "api_key is missing"
    assert _same(NotFound("Unknown service_code X9999")).status == 404


def test_every_error_class_pickles_even_with_a_constructor_of_its_own() -> None:
    def subclasses(cls: type) -> list[type]:
        return [cls, *(s for sub in cls.__subclasses__() for s in subclasses(sub))]

    classes = subclasses(AppError)
    assert RateLimited in classes and len(classes) > 10
    for cls in classes:
        error = cls.__new__(cls)  # a constructor may want more; the state is what travels
        Exception.__init__(error, "detail")
        error.detail, error.extra = "detail", {"n": 1}
        error.__dict__["own"] = [1, 2]
        _same(error)
