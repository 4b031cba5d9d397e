"""FastAPI factory: `uvicorn --factory citycockpit.app:create_app`."""

from __future__ import annotations

import asyncio
import gc
import inspect
import itertools
import logging
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Annotated

import anyio
from fastapi import FastAPI, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from citycockpit import migrate, replica
from citycockpit import models as _all_models  # noqa: F401  (every table mapped before first use)
from citycockpit.audit import api as audit_api
from citycockpit.audit import pages as audit_pages
from citycockpit.auth import api as auth_api
from citycockpit.auth import pages as auth_pages
from citycockpit.auth.deps import PRINCIPAL_RESOLVERS, PUBLIC, current_principal, require
from citycockpit.auth.enums import Perm
from citycockpit.auth.principal import Principal
from citycockpit.config import Settings, app_version, get_settings
from citycockpit.core import expansion, keyring
from citycockpit.core.clock import Clock
from citycockpit.core.errors import AppError, ServiceUnavailable, install_error_handlers
from citycockpit.db import SessionDep, build_engine, get_session, reader
from citycockpit.events import api as events_api
from citycockpit.events import pages as events_pages
from citycockpit.events.analytics import api as events_kpi_api
from citycockpit.events.intake import classifier as events_classifier
from citycockpit.events.intake import open311 as events_open311
from citycockpit.events.intake import process as events_intake_process
from citycockpit.events.intake import writer as events_writer
from citycockpit.events.surges import api as events_surge_api
from citycockpit.goals import api as goals_api
from citycockpit.goals import pages as goals_pages
from citycockpit.goals import settings as goals_settings
from citycockpit.indicators import api as indicators_api
from citycockpit.indicators import pages as indicators_pages
from citycockpit.ops import metrics
from citycockpit.ops.logs import request_id_var
from citycockpit.org import api as org_api
from citycockpit.org import pages as org_pages
from citycockpit.projects import api as projects_api
from citycockpit.projects import pages as projects_pages
from citycockpit.report import api as report_api
from citycockpit.report import pages as report_pages
from citycockpit.screen import api as screen_api
from citycockpit.screen import home as screen_home
from citycockpit.screen import pages as screen_pages
from citycockpit.screen.service import principal_from_kiosk_cookie
from citycockpit.web import docs as api_docs
from citycockpit.web.render import install_page_error_handlers
from citycockpit.web.security import install_security

STATIC_DIR = Path(__file__).parent / "web" / "static"
log = logging.getLogger("citycockpit.app")
access_log = logging.getLogger("citycockpit.access")


class ObserveMiddleware:
    """Request id (X-Request-ID in and out), Prometheus counters and latency by route template, and
    one access-log line per request. Plain ASGI: Starlette's BaseHTTPMiddleware costs a task per
    request, a third of the framework's time on the intake path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # New request ids: a random prefix per app (so per worker process) and a counter, 32 hex digits
        # like the UUIDs they replace; a UUID4 per request (os.urandom, UUID's constructor) cost more
        # than the rest of the id's handling. The counter's low digits lead, so the 8 a text log
        # line shows differ from one request to the next.
        self._prefix = secrets.token_hex(8)
        self._counter = itertools.count(1)

    def new_request_id(self) -> str:
        n = next(self._counter)
        return f"{n & 0xFFFFFFFF:08x}{self._prefix}{n >> 32 & 0xFFFFFFFF:08x}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = incoming if incoming.isascii() and 0 < len(incoming) <= 64 else self.new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        encoded_id = request_id.encode("latin-1")

        async def _send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"x-request-id"]
                headers.append((b"x-request-id", encoded_id))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "(unmatched)"
            method, path = scope.get("method", ""), scope.get("path", "")
            metrics.REQUESTS.labels(method, template, str(status)).inc()
            metrics.LATENCY.labels(method, template).observe(elapsed)
            access_log.info(
                "%s %s %s %.1fms",
                method,
                path,
                status,
                elapsed * 1000,
                extra={
                    "method": method,
                    "path": path,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 1),
                },
            )
            request_id_var.reset(token)


# Newer FastAPI looks up OpenTelemetry providers on every request; we export Prometheus metrics
# (`/metrics`) instead, so its telemetry is switched off where the version has it.
_NO_OPENTELEMETRY = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters
    else {}
)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    writer = events_writer.writer_of(app)
    if app.state.settings.intake_writer == "process":  # no request before intake can be stored
        await asyncio.to_thread(partial(writer.start, wait=True))
    yield
    await asyncio.to_thread(writer.close)  # write what is queued before the process ends
    read_replica = getattr(app.state, "replica", None)
    if read_replica is not None:
        read_replica.dispose()


async def _has_principal(scope: Scope) -> bool:
    """Whether the request carries a valid session cookie or API token: asked by the body limit before
    it reads an upload-sized body (`web.bodylimit`). Uses the app's session dependency (a test's
    override included), read-only."""
    # its own state: the route resolves the caller again in its own session (a token's use is
    # recorded there), nothing from this read-only look is kept
    request = Request({**scope, "state": {}})
    app = scope["app"]
    provider = app.dependency_overrides.get(get_session)

    def check() -> bool:
        if provider is None:
            sessions = _read_session(app)
        else:  # an override takes the request, or nothing
            takes = len(inspect.signature(provider).parameters)
            sessions = provider(request) if takes else provider()
        session = next(sessions)
        try:
            return current_principal(request, session) is not None
        except AppError:
            return False
        finally:
            sessions.close()

    return await anyio.to_thread.run_sync(check)


def _read_session(app: FastAPI) -> Iterator[Session]:
    session = Session(bind=reader(app.state.engine), expire_on_commit=False)
    try:
        yield session
    finally:
        session.rollback()
        session.close()


def create_app(
    settings: Settings | None = None, *, engine: Engine | None = None, clock: Clock | None = None
) -> FastAPI:
    settings = settings or get_settings()
    goals_settings.check_settings(settings)  # each domain checks its own settings at start-up
    expansion.configure(settings)  # the upload expansion limits, for every reader of files
    app = FastAPI(
        title="CityCockpit 城市驾驶舱",
        version=app_version(),
        docs_url=None,  # served offline by web.docs (vendored Swagger UI, no CDN, no inline script)
        redoc_url=None,
        openapi_url="/api/openapi.json",
        generate_unique_id_function=lambda route: f"{route.tags[0] if route.tags else 'app'}-{route.name}",
        lifespan=_lifespan,
        **_NO_OPENTELEMETRY,
    )
    app.state.settings = settings
    # The audit chain's key ring travels with the app's engine: this app's settings, not a global one.
    audit_keys = keyring.RingSource(settings)
    audit_keys.check()
    app.state.engine = keyring.attach(engine or build_engine(settings), audit_keys)
    # Stale-tolerant reads (db.ReadSessionDep) go to the read replica, if any, while it keeps up.
    app.state.replica = replica.build_replica(settings, app.state.engine)
    app.state.clock = clock or Clock(zone=settings.zone, today=settings.today)
    # Open311 intake's batch writer; a writer process builds this same app with this factory
    app.state.app_factory = f"{__name__}:create_app"
    app.state.intake_writer = events_intake_process.make_writer(app)
    app.state.secret_key = settings.resolved_secret_key()
    install_error_handlers(app)
    app.state.refusal_renderers = [("/open311/", events_open311.refusal_response)]
    app.state.body_authenticator = _has_principal
    install_security(app)
    auth_pages.install_refusal_handlers(app)
    install_page_error_handlers(app)
    if principal_from_kiosk_cookie not in PRINCIPAL_RESOLVERS:
        PRINCIPAL_RESOLVERS.append(principal_from_kiosk_cookie)
    events_classifier.install(app.state.engine)  # intake routes with the trained model, if any

    # Inside observation and the replica's write cookie, outside the rest (it applies their rules itself)
    app.add_middleware(events_open311.IntakeFastPath)
    if app.state.replica is not None:  # a writer's next reads stay on the primary (read-your-own-writes)
        app.add_middleware(
            replica.WroteCookieMiddleware,
            window_seconds=app.state.replica.wrote_window_seconds,
            secure=settings.env == "prod",
        )
    app.add_middleware(ObserveMiddleware)

    @app.get("/healthz", tags=["ops"], dependencies=[PUBLIC])
    def healthz(request: Request) -> dict[str, object]:
        """Alive and the database answers; with a read replica, its state (`ok`, `lagging`, `paused`,
        `down`: reads then fall back to the primary, so the app stays healthy) and lag."""
        try:
            with reader(request.app.state.engine).connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            log.warning("health check failed: %s", exc)
            raise ServiceUnavailable("The database does not answer", check="database") from exc
        out: dict[str, object] = {"status": "ok", "version": app_version()}
        if request.app.state.replica is not None:
            status = request.app.state.replica.status()
            out["replica"] = {"state": status.state, "lag_seconds": status.lag_seconds}
        return out

    @app.get("/readyz", tags=["ops"], dependencies=[PUBLIC])
    def readyz(request: Request) -> dict[str, str]:
        """Ready to serve: the database answers and its schema is at the newest migration."""
        engine = request.app.state.engine
        try:
            at_head = migrate.is_at_head(engine)
        except Exception as exc:
            log.warning("readiness check failed: %s", exc)
            raise ServiceUnavailable("The database does not answer", check="database") from exc
        if not at_head:
            raise ServiceUnavailable(
                "The database schema is not at the newest migration; run `citycockpit db upgrade`",
                check="migrations",
            )
        return {"status": "ready"}

    @app.get("/metrics", tags=["ops"], response_class=PlainTextResponse)
    def metrics_endpoint(
        request: Request, session: SessionDep, principal: Annotated[Principal, require(Perm.METRICS_READ)]
    ) -> Response:
        """Prometheus metrics; scrape with an API token holding `metrics:read`."""
        from citycockpit.events.analytics.metrics import providers as event_gauges
        from citycockpit.ops.jobs import PROVIDERS as WORKER_GAUGES

        gauges = [*event_gauges(request.app.state.clock), *WORKER_GAUGES]
        body, content_type = metrics.render_metrics(session, gauges)
        return Response(body, media_type=content_type)

    # Open311 first: the high-volume intake path is matched before the ~300 other routes.
    app.include_router(events_open311.router)
    app.include_router(org_api.router)
    app.include_router(report_api.router)
    app.include_router(screen_api.router)
    app.include_router(screen_pages.router)
    # The workbench home, the ledger review and the administration pages, in the order they were
    # matched when they lived in web/ (none of their paths overlaps another's, but keep it).
    app.include_router(screen_home.router)
    app.include_router(report_pages.router)
    app.include_router(screen_home.root_router)
    app.include_router(auth_pages.admin_router)
    app.include_router(org_pages.router)
    app.include_router(screen_pages.admin_router)
    app.include_router(audit_pages.router)
    app.include_router(projects_pages.router)
    app.include_router(goals_pages.router)
    app.include_router(indicators_pages.router)
    app.include_router(events_pages.router)
    app.include_router(events_pages.admin_router)
    app.include_router(events_pages.catalogue_router)
    app.include_router(events_pages.history_router)
    app.include_router(projects_api.router)
    app.include_router(auth_api.router)
    app.include_router(auth_api.users_router)
    app.include_router(auth_api.admin_router)
    app.include_router(audit_api.router)
    app.include_router(auth_pages.router)
    app.add_api_route(
        "/api/docs",
        api_docs.api_docs,
        methods=["GET"],
        response_class=HTMLResponse,
        dependencies=[PUBLIC],
        tags=["docs"],
        include_in_schema=False,
    )
    app.include_router(goals_api.router)
    app.include_router(indicators_api.router)
    # Before the events router: /api/v1/events/kpis must not be taken for an event id.
    app.include_router(events_kpi_api.router)
    app.include_router(events_surge_api.router)
    app.include_router(events_api.router)
    app.add_api_route(
        "/sw.js",
        _service_worker,
        methods=["GET"],
        dependencies=[PUBLIC],
        tags=["pages"],
    )
    app.add_api_route(
        "/favicon.ico",
        _favicon,
        methods=["GET"],
        dependencies=[PUBLIC],
        tags=["docs"],
        include_in_schema=False,
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def _service_worker() -> FileResponse:
    """The workbench's service worker, served from the root so its scope covers /app (a worker under
    /static could control only /static); revalidated on every load so an upgrade takes effect."""
    return FileResponse(
        STATIC_DIR / "js" / "sw.js",
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


def _favicon() -> FileResponse:
    """Browsers ask /favicon.ico whatever the page links (downloads, error pages, the API docs): ours,
    instead of a 404 in every log."""
    return FileResponse(
        STATIC_DIR / "favicon.svg", media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"}
    )


def serve_app() -> FastAPI:
    """The factory `citycockpit serve` runs in each worker process: logging per settings, then the app."""
    from citycockpit.ops.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    app = create_app(settings)
    # What is loaded by now (modules, the ORM's mappings, the classifier) lives as long as the process:
    # out of the collector's reach, so its full collections stop pausing requests by tens of ms.
    gc.freeze()
    return app
