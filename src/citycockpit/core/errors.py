"""Every client-visible failure is an AppError, rendered as application/problem+json (RFC 9457)."""

from __future__ import annotations

import logging
import os
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("citycockpit.errors")

PROBLEM_JSON = "application/problem+json"


class AppError(Exception):
    status = 500
    code = "internal_error"
    title = "Internal error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled with its whole state, whatever a subclass's constructor takes (an error made in the
        intake writer process is raised in the server's)."""
        return (_rebuilt, (type(self), self.__dict__))


def _rebuilt(cls: type[AppError], state: dict[str, Any]) -> AppError:
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("detail", ""))
    error.__dict__.update(state)
    return error


class BadRequest(AppError):
    status, code, title = 400, "bad_request", "Bad request"


class Unauthorized(AppError):
    status, code, title = 401, "unauthorized", "Authentication required"


class Forbidden(AppError):
    status, code, title = 403, "forbidden", "Forbidden"


class NotFound(AppError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(AppError):
    status, code, title = 409, "conflict", "Conflict"


class Unprocessable(AppError):
    status, code, title = 422, "validation_error", "Invalid input"


class ServiceUnavailable(AppError):
    status, code, title = 503, "service_unavailable", "Service unavailable"


_STATUS_CODES = {
    400: ("bad_request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Forbidden"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    409: ("conflict", "Conflict"),
    413: ("payload_too_large", "Payload too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    422: ("validation_error", "Invalid input"),
    429: ("rate_limited", "Too many requests"),
}


def problem(status: int, code: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": f"/docs/api#{code}", "title": title, "status": status, "detail": detail, "code": code}
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def refusal(scope: Any, status: int, code: str, title: str, detail: str, **extra: Any) -> Response:
    """A refusal made before (or outside) any route: by the app's middlewares (too large a body, a NUL
    character, no credentials for an upload) or for a path or method no route has. problem+json,
    unless a path prefix registered its own format in `app.state.refusal_renderers` as
    `(prefix, render(scope, status, detail))`: Open311 does, so everything under /open311/ answers its
    error list."""
    path = scope.get("path", "")
    state = getattr(scope.get("app"), "state", None)
    for prefix, render in getattr(state, "refusal_renderers", ()):
        if path.startswith(prefix):
            response: Response = render(scope, status, detail)
            return response
    return problem(status, code, title, detail, **extra)


def _sqlite_dir_read_only(engine: Any) -> bool:
    url = getattr(engine, "url", None)
    if url is None or url.get_backend_name() != "sqlite" or not url.database:
        return False
    folder = os.path.dirname(os.path.abspath(url.database))
    return not os.access(folder, os.W_OK)


def classify_database_error(exc: OperationalError, engine: Any = None) -> tuple[int, str, str, str]:
    """Name the operator-facing cause of a database failure: full disk, read-only file, or unreachable."""
    message = str(exc.orig).lower()
    if "unable to open database file" in message and _sqlite_dir_read_only(engine):
        message = "readonly database"
    if "disk is full" in message or "no space left" in message or "disk full" in message:
        return (
            507,
            "storage_full",
            "Insufficient storage",
            ("The database's disk is full; nothing was changed. Free space on the server and retry"),
        )
    if "readonly database" in message or "read-only" in message or "read only" in message:
        return (
            503,
            "database_read_only",
            "Service unavailable",
            ("The database is read-only (file permissions or a read-only disk); nothing was changed"),
        )
    return (
        503,
        "database_unavailable",
        "Service unavailable",
        ("The database cannot be reached or is locked; try again shortly"),
    )


def _request_id(request: Request) -> str:
    return getattr(request.state, "request_id", None) or uuid.uuid4().hex


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or str(loc[-1] if loc else "")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        return problem(exc.status, exc.code, exc.title, exc.detail, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field_name(tuple(e.get("loc", ()))), "message": e.get("msg", "")} for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "Invalid input"
        return problem(422, "validation_error", "Invalid input", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code, title = _STATUS_CODES.get(exc.status_code, ("http_error", "HTTP error"))
        detail = exc.detail if isinstance(exc.detail, str) else title
        resp = refusal(request.scope, exc.status_code, code, title, detail)
        for key, value in (exc.headers or {}).items():
            resp.headers[key] = value
        return resp

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError) -> JSONResponse:
        return problem(
            409,
            "version_conflict",
            "Conflict",
            "Someone else changed this record at the same time; reload it and try again.",
        )

    @app.exception_handler(DataError)
    async def _bad_value(request: Request, exc: DataError) -> JSONResponse:
        # The database refused a value (out of range, NUL character …): the input's fault, not ours.
        log.info("database refused a value: %s", exc.orig)
        return problem(422, "invalid_value", "Invalid input", "A value is out of range or cannot be stored")

    @app.exception_handler(IntegrityError)
    async def _duplicate(request: Request, exc: IntegrityError) -> JSONResponse:
        # A unique or foreign-key rule the checks before the write did not see, typically two requests
        # racing for the same key (an event's external_id, a user name): the request's conflict with
        # what is stored, not a fault of ours, and not worth a retry as it stands.
        log.info("database refused a write: %s", exc.orig)
        return problem(
            409,
            "conflict",
            "Conflict",
            "The change conflicts with what is stored (a duplicate or a missing reference)",
        )

    @app.exception_handler(OverflowError)
    async def _too_big(request: Request, exc: OverflowError) -> JSONResponse:
        # SQLite's driver refuses integers beyond 64 bits before the database sees them (PostgreSQL's
        # answer is a DataError above): an id or number in the request is out of range.
        return problem(422, "invalid_value", "Invalid input", "A number in the request is out of range")

    @app.exception_handler(OperationalError)
    async def _db_down(request: Request, exc: OperationalError) -> JSONResponse:
        rid = _request_id(request)
        log.error("database error (request %s): %s", rid, exc.orig)
        status, code, title, detail = classify_database_error(exc, getattr(request.app.state, "engine", None))
        resp = problem(status, code, title, f"{detail} (request id {rid}).", request_id=rid)
        if status == 503:
            resp.headers["Retry-After"] = "5"
        return resp

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        rid = _request_id(request)
        log.exception("unhandled error (request %s)", rid)
        return problem(
            500,
            "internal_error",
            "Internal error",
            f"An unexpected error happened; it has been logged with request id {rid}.",
            request_id=rid,
        )
