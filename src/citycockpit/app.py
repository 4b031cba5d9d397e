"""FastAPI factory: `uvicorn --factory citycockpit.app:create_app`."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, text

from citycockpit.auth.deps import PRINCIPAL_RESOLVERS, PUBLIC
from citycockpit.config import Settings, app_version, get_settings
from citycockpit.core.clock import Clock
from citycockpit.core.errors import ServiceUnavailable, install_error_handlers
from citycockpit.db import make_engine, reader
from citycockpit.org import api as org_api
from citycockpit.report import api as report_api
from citycockpit.screen import api as screen_api
from citycockpit.screen import pages as screen_pages
from citycockpit.screen.service import principal_from_kiosk_cookie
from citycockpit.web import pages as web_pages
from citycockpit.web.render import install_page_error_handlers

STATIC_DIR = Path(__file__).parent / "web" / "static"
log = logging.getLogger("citycockpit.app")


def build_engine(settings: Settings) -> Engine:
    return make_engine(
        settings.resolved_database_url(),
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        pool_size=settings.db_pool_size,
    )


def create_app(
    settings: Settings | None = None, *, engine: Engine | None = None, clock: Clock | None = None
) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="CityCockpit 城市驾驶舱",
        version=app_version(),
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        generate_unique_id_function=lambda route: f"{route.tags[0] if route.tags else 'app'}-{route.name}",
    )
    app.state.settings = settings
    app.state.engine = engine or build_engine(settings)
    app.state.clock = clock or Clock(zone=settings.zone, today=settings.today)
    app.state.secret_key = settings.resolved_secret_key()
    install_error_handlers(app)
    install_page_error_handlers(app)
    if principal_from_kiosk_cookie not in PRINCIPAL_RESOLVERS:
        PRINCIPAL_RESOLVERS.append(principal_from_kiosk_cookie)

    @app.middleware("http")
    async def _request_id(request: Request, call_next):  # type: ignore[no-untyped-def]
        request.state.request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        response: Response = await call_next(request)
        response.headers["X-Request-ID"] = request.state.request_id
        return response

    @app.get("/healthz", tags=["ops"], dependencies=[PUBLIC])
    def healthz(request: Request) -> dict[str, str]:
        """Alive and the database answers."""
        try:
            with reader(request.app.state.engine).connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            log.warning("health check failed: %s", exc)
            raise ServiceUnavailable("The database does not answer", check="database") from exc
        return {"status": "ok", "version": app_version()}

    app.include_router(org_api.router)
    app.include_router(report_api.router)
    app.include_router(screen_api.router)
    app.include_router(screen_pages.router)
    app.include_router(web_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
