"""Drawing pages: the Jinja2 environment (autoescaped) and the responses that carry them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse, Response

from app.site import formats
from app.site.security import secure

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(
    count=formats.count,
    share=formats.share,
    duration=formats.duration,
    day=formats.day,
    instant=formats.instant,
    local_day=formats.local_day,
    person=formats.person,
)


def render(template: str, **context: Any) -> str:
    """Return `template` drawn with `context` (every value escaped unless marked safe)."""
    return _env.get_template(template).render(**context)


def page(template: str, status: int = 200, **context: Any) -> Response:
    """Return `template` as an HTML response with the site's security headers."""
    return secure(HTMLResponse(render(template, **context), status_code=status))


def message(status: int, title: str, *paragraphs: str, **context: Any) -> Response:
    """Return a short page that explains something (a refusal, a dead link) in a few sentences."""
    context.setdefault("visitor", None)
    context.setdefault("slack_signin", False)
    context.setdefault("nav", "")
    return page("message.html", status, title=title, paragraphs=paragraphs, **context)
