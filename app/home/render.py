"""Rendering a queued Home tab publish when the worker sends it (app/directory/home_tabs.py
queues them under the renderer name `home_tabs.RENDERER`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.home import blocks, content


def render(
    session: Session, team_id: str, args: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    """The `views.publish` arguments for a queued Home refresh, rendered from the store now."""
    user_id = str(args["user_id"])
    return {
        "user_id": user_id,
        "view": blocks.home_view(content.load(session, team_id, user_id, now)),
    }
