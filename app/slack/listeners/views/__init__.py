"""Modal submissions."""

from __future__ import annotations

from slack_bolt import App

from app.runtime import Runtime
from app.slack.listeners.views import ask_modals, home_offer, kudos_modal, workspace_settings


def register(app: App, runtime: Runtime) -> None:
    """Attach the view-submission listeners."""
    kudos_modal.register(app, runtime)
    ask_modals.register(app, runtime)
    home_offer.register(app, runtime)
    workspace_settings.register(app, runtime)
