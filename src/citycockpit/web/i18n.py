"""Message catalogues: Chinese first, English switchable by `?lang=en` (remembered in a cookie).

Each language is one YAML file beside this module (`i18n/zh.yaml`, `i18n/en.yaml`), a flat mapping
of dotted keys to strings with `{name}` placeholders. A key missing in English falls back to Chinese,
and a key missing everywhere shows itself, so a gap is visible instead of blank."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from fastapi import Request

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LANG_COOKIE = "cc_lang"
LANG_PARAM = "lang"


@lru_cache
def catalogue(lang: str) -> dict[str, str]:
    raw = resources.files("citycockpit.web").joinpath(f"i18n/{lang}.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(raw) or {}
    return {str(k): str(v) for k, v in data.items()}


def translate(lang: str, key: str, **values: Any) -> str:
    text = catalogue(lang).get(key)
    if text is None and lang != DEFAULT_LANGUAGE:
        text = catalogue(DEFAULT_LANGUAGE).get(key)
    if text is None:
        return key
    if values:
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def error_text(lang: str, code: str, detail: str, params: dict[str, Any] | None = None) -> str:
    """A refusal as a page shows it. In Chinese, the code's explanation alone, filled with the error's
    params: `error.explain.<code>.<rule>` when the error names which `rule` it broke, else
    `error.explain.<code>`. The domain's own message is English (the API's detail, the CLI's line), so
    it stays in the problem+json body and the log, not on a Chinese page (a code without an explanation
    reads as `error.explain.unknown`); in English, the domain's message."""
    if lang != DEFAULT_LANGUAGE:
        return detail
    cat = catalogue(lang)
    params = params or {}
    keys = [f"error.explain.{code}.{params['rule']}"] if params.get("rule") else []
    for key in [*keys, f"error.explain.{code}"]:
        if key in cat:
            return translate(lang, key, **params)
    return cat.get("error.explain.unknown") or detail


def request_error_text(request: Request, exc: Any) -> str:
    """`error_text` for an AppError met while answering `request`."""
    params = {k: v for k, v in (getattr(exc, "extra", None) or {}).items() if isinstance(v, str | int)}
    return error_text(request_language(request), str(exc.code), str(exc.detail), params)


def row_error_text(lang: str, error: dict[str, Any]) -> str:
    """One refused row's reason as a page shows it: the catalogue's `import.reason.<reason_code>` with
    the error's params filled, else the importer's own sentence (`reason`)."""
    code = error.get("reason_code")
    if code:
        key = f"import.reason.{code}"
        text = catalogue(lang).get(key) or catalogue(DEFAULT_LANGUAGE).get(key)
        if text:
            return translate(lang, key, **(error.get("params") or {}))
    return str(error.get("reason") or error.get("message") or "")


def request_import_error(request: Request, exc: Any) -> dict[str, Any]:
    """A refused import as a page shows it: `import_error` (the headline: for a file with bad rows the
    catalogue's explanation and count, without the English list the API's detail carries) and
    `import_rows` (each row error with its `text` in the request's language)."""
    lang = request_language(request)
    rows = [dict(e, text=row_error_text(lang, e)) for e in exc.extra.get("errors") or []]
    if exc.code == "import_failed" and rows:
        count = exc.extra.get("error_count") or len(rows)
        headline = translate(lang, "import.failed", count=count)
    else:
        headline = error_text(lang, str(exc.code), str(exc.detail))
    return {"import_error": headline, "import_rows": rows, "error_count": exc.extra.get("error_count")}


def request_language(request: Request) -> str:
    """The language asked for in the query, else the remembered one, else Chinese."""
    asked = request.query_params.get(LANG_PARAM)
    if asked in LANGUAGES:
        return asked
    remembered = request.cookies.get(LANG_COOKIE)
    if remembered in LANGUAGES:
        return remembered
    return DEFAULT_LANGUAGE


def request_text(request: Request, key: str, **values: Any) -> str:
    """A message in the language of the request (request_language), with its {placeholders} filled."""
    return translate(request_language(request), key, **values)


def domain_label(lang: str, key: str, chinese: str) -> str:
    """A word whose Chinese lives with its domain (a status's label, a state's name): that word on a
    Chinese page, the English catalogue's `key` on an English page (the Chinese if it has none)."""
    if lang == DEFAULT_LANGUAGE:
        return chinese
    return catalogue(lang).get(key) or chinese


def actor_text(lang: str, kind: str, name: str) -> str:
    """A recorded actor as a page names it (auth.queries.actor_labels gives kind and name)."""
    return translate(lang, f"actor.{kind}", name=name)


def actor_texts(request: Request, labels: dict[Any, Any]) -> dict[Any, str]:
    """`actor_text` for each of auth.queries.actor_labels' results, in the request's language."""
    lang = request_language(request)
    return {key: actor_text(lang, label.kind, label.name) for key, label in labels.items()}


def client_messages(lang: str, prefix: str) -> dict[str, str]:
    """The strings under `prefix` for a page's JavaScript (passed in a data attribute, not a script)."""
    merged = {k: v for k, v in catalogue(DEFAULT_LANGUAGE).items() if k.startswith(prefix)}
    if lang != DEFAULT_LANGUAGE:
        merged.update({k: v for k, v in catalogue(lang).items() if k.startswith(prefix)})
    return merged
