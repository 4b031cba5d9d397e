"""The interactive API docs, served offline: Swagger UI is vendored under static/vendor/swagger-ui.

The app registers `api_docs` at /api/docs and declares it public there (auth's PUBLIC marker): the UI kit
does not import the auth domain."""

from __future__ import annotations

from pathlib import Path

from fastapi.responses import HTMLResponse

_PAGE = (Path(__file__).parent / "templates" / "api_docs.html").read_text(encoding="utf-8")


def api_docs() -> HTMLResponse:
    """Swagger UI for /api/openapi.json (no CDN, no inline script)."""
    return HTMLResponse(_PAGE)
