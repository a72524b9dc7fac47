"""Buttons on an ask and its DMs: I can help, Resolved, Still need help, Close, Stop these."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from app.asks import blocks, lifecycle, notify, resolution
from app.runtime import Runtime
from app.slack.answers import ClickUseCase, run_click
from app.slackapi.payloads import Click

Listener = Callable[[Ack, dict[str, Any], dict[str, Any], WebClient, BoltContext], None]


def on_click(use_case: ClickUseCase) -> Listener:
    """A button listener: ack, then run `use_case` as the person who clicked and tell them."""

    def listener(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        run_click(context, client, Click.from_payload(body, action), use_case)

    return listener


def attach(app: App, buttons: Mapping[str, ClickUseCase]) -> None:
    """Attach a listener to each button (by action id) that runs its use case."""
    for action_id, use_case in buttons.items():
        app.action(action_id)(on_click(use_case))


def register(app: App, runtime: Runtime) -> None:
    """Attach the ask button listeners."""
    attach(
        app,
        {
            blocks.CLAIM: lifecycle.claim,
            blocks.RESOLVE: resolution.open_form,
            blocks.REOPEN: lifecycle.reopen,
            blocks.CLOSE: lifecycle.close,
            blocks.STOP_MATCHES: notify.stop_matches,
        },
    )
