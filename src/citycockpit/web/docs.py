"""The interactive API docs, served offline: Swagger UI is vendored under static/vendor/swagger-ui."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from citycockpit.auth.deps import PUBLIC

router = APIRouter(tags=["docs"], include_in_schema=False)

_PAGE = (Path(__file__).parent / "templates" / "api_docs.html").read_text(encoding="utf-8")


@router.get("/api/docs", response_class=HTMLResponse, dependencies=[PUBLIC])
def api_docs() -> HTMLResponse:
    """Swagger UI for /api/openapi.json (no CDN, no inline script)."""
    return HTMLResponse(_PAGE)
