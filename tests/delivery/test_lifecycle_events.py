"""Slack says the app lost access: the workspace stops, nothing crashes, a reinstall resumes."""

from __future__ import annotations

from app.sandbox import payloads
from app.sandbox.driver import SlackDriver
from app.server import BotServer
from app.store.db import transaction
from app.store.models import Workspace
from app.workspaces.service import Identity, ensure_workspace


def _active(bot: BotServer) -> bool:
    with bot.runtime.sessions() as session:
        return session.get_one(Workspace, "T0001").active


def test_app_uninstalled_marks_the_workspace_inactive(bot: BotServer, driver: SlackDriver) -> None:
    response = driver.event(payloads.event_callback(payloads.app_uninstalled_event()))
    assert response.status_code == 200
    assert not _active(bot)
    # Slack retries an event it thinks was lost; the second delivery changes nothing.
    again = driver.event(payloads.event_callback(payloads.app_uninstalled_event()), retry_num=1)
    assert again.status_code == 200
    assert not _active(bot)
    with transaction(bot.runtime.sessions) as session:
        ensure_workspace(
            session, Identity("T0001", "Acme", "UBOT", "BBOT"), bot.runtime.clock.now()
        )
    assert _active(bot)


def test_revoked_user_tokens_leave_the_bot_working(bot: BotServer, driver: SlackDriver) -> None:
    event = payloads.tokens_revoked_event(bot_ids=[], user_ids=["U0ALICE"])
    assert driver.event(payloads.event_callback(event)).status_code == 200
    assert _active(bot)


def test_a_revoked_bot_token_marks_the_workspace_inactive(
    bot: BotServer, driver: SlackDriver
) -> None:
    event = payloads.tokens_revoked_event(bot_ids=["UBOT"])
    assert driver.event(payloads.event_callback(event)).status_code == 200
    assert not _active(bot)
