"""Modal submissions: the give-kudos, ask, resolve, offer and introduction forms, and workspace
settings."""

from __future__ import annotations

from slack_bolt import App

from app.asks import blocks as ask_blocks
from app.asks import command as ask
from app.asks import resolution
from app.home import blocks as home_blocks
from app.intros import blocks as intro_blocks
from app.intros import form as intro_form
from app.kudos import blocks as kudos_blocks
from app.kudos import form as kudos_form
from app.offers.home_actions import offer_from_home
from app.runtime import Runtime
from app.slack.listeners.views import workspace_settings
from app.slack.listeners.wiring import on_form


def register(app: App, runtime: Runtime) -> None:
    """Attach the view-submission listeners."""
    # When the database is down, the apology shows beside the field that holds the most typing.
    on_form(
        app,
        kudos_blocks.MODAL_CALLBACK,
        kudos_blocks.MESSAGE_BLOCK,
        lambda s, form, now: kudos_form.submitted(s, runtime.lookup, form, now),
    )
    on_form(
        app,
        ask_blocks.COMPOSE_CALLBACK,
        ask_blocks.COMPOSE_BLOCK,
        lambda s, form, now: ask.submit_form(s, runtime.lookup, form, now),
    )
    # Who may resolve is the submitting user against the asker, never the form's metadata.
    on_form(app, ask_blocks.RESOLVE_CALLBACK, resolution.HELPERS_BLOCK, resolution.submit_form)
    on_form(app, home_blocks.OFFER_CALLBACK, "topics", offer_from_home)
    on_form(
        app,
        intro_blocks.FORM_CALLBACK,
        intro_blocks.REASON_BLOCK,
        lambda s, form, now: intro_form.submitted(s, runtime.lookup, form, now),
    )
    workspace_settings.register(app, runtime)
