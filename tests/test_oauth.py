"""Multi-workspace installs over OAuth against the stand-in (`oauth.v2.access`): the install
flow, cached authorization, token rotation, uninstalling, and two workspaces kept apart."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import event, select, text

from app.calendar import zone
from app.sandbox import payloads
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.settings import Settings
from app.slack.remembered_bots import RememberedBots
from app.slack.replies import TRY_AGAIN
from app.store.models import Kudos, Member, Offer, Workspace
from app.workspaces.service import WELCOME
from tests.conftest import APP_TOKEN, SIGNING_SECRET, BotFactory, slack_driver
from tests.kudos.conftest import reply_text, wait_for_member
from tests.waiting import eventually, outbox_drained

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "client-secret"
KEY = Fernet.generate_key().decode()


@pytest.fixture
def oauth_bot(
    database_url: str, slack: SlackStandIn, slack_mode: str, serve_bot: BotFactory
) -> BotServer:
    """A bot serving any workspace that installs it, with no SLACK_BOT_TOKEN."""
    slack.enable_oauth(CLIENT_ID, CLIENT_SECRET)
    if slack_mode == "socket":
        slack.enable_socket_mode(APP_TOKEN)
    settings = Settings(
        slack_app_token=APP_TOKEN if slack_mode == "socket" else None,
        database_url=database_url,
        slack_signing_secret=SIGNING_SECRET,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_state_secret="state-secret",
        token_encryption_keys=(KEY,),
        slack_api_url=slack.base_url,
        port=0,
    )
    return serve_bot(settings)


@pytest.fixture
def driver(oauth_bot: BotServer, slack: SlackStandIn, slack_mode: str) -> Iterator[SlackDriver]:
    """Requests to the OAuth bot as Slack sends them: signed over HTTP, or over the socket."""
    with slack_driver(oauth_bot, slack, slack_mode) as connected:
        yield connected


def install(
    bot: BotServer,
    slack: SlackStandIn,
    team_id: str,
    team_name: str,
    installer: str,
    *,
    rotating: bool = False,
) -> None:
    """Run the browser's side of Slack's OAuth flow for `team_id`."""
    with httpx.Client(base_url=bot.url, follow_redirects=False, timeout=10) as browser:
        page = browser.get("/slack/install")
        assert page.status_code == 200, page.text
        authorize = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page.text)
        assert authorize is not None, page.text
        query = parse_qs(urlsplit(authorize.group(1).replace("&amp;", "&")).query)
        assert query["client_id"] == [CLIENT_ID]
        assert "chat:write" in query["scope"][0].split(",")
        # The install grants what the authorize URL asked for.
        code = slack.issue_oauth_code(
            team_id=team_id,
            team_name=team_name,
            installer=installer,
            rotating=rotating,
            scopes=query["scope"][0],
        )
        # Bolt's state cookie is Secure: a browser sends it back over https only, so the test
        # (plain http on loopback) hands it back itself.
        cookie = page.headers["set-cookie"].split(";")[0]
        done = browser.get(
            "/slack/oauth_redirect",
            params={"code": code, "state": query["state"][0]},
            headers={"Cookie": cookie},
        )
        assert done.status_code == 200, done.text


def test_installing_creates_the_workspace_and_welcomes_the_installer(
    oauth_bot: BotServer, slack: SlackStandIn, driver: SlackDriver
) -> None:
    install(oauth_bot, slack, "T0001", "Acme", "U0ALICE")
    with oauth_bot.runtime.sessions() as session:
        workspace = session.get_one(Workspace, "T0001")
        assert (workspace.name, workspace.active, workspace.domain) == ("Acme", True, "acme")
        assert workspace.kudos_daily_limit == 5
    welcome = slack.wait_for(
        lambda c: c.method == "chat.postMessage" and c.args.get("channel") == "U0ALICE"
    )[0]
    assert welcome.args["text"] == WELCOME
    slack.wait_for("users.list")

    # Requests from the new workspace are served; authorization is cached per token, so only
    # the first request may cost an auth.test, and the bot is remembered, so at most the first
    # reads the installation store (the worker may have read it for the welcome already).
    def auth_tests() -> int:
        return len([c for c in slack.calls_to("auth.test") if c.token == welcome.token])

    store_reads: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "slack_bots" in statement:
            store_reads.append(statement)

    engine = oauth_bot.runtime.engine
    event.listen(engine, "before_cursor_execute", note)
    counts = []
    try:
        for n in range(3):
            answer = driver.command(
                command="/kudos",
                text=f"<@U0BOB|bob> thanks for review {n}",
                user_id="U0ALICE",
                channel_id="C0GENERAL",
            )
            assert "Kudos to <@U0BOB>" in reply_text(answer)
            counts.append((auth_tests(), len(store_reads)))
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert counts[0] == counts[1] == counts[2]
    assert counts[0][1] <= 1


def test_a_workspace_that_never_installed_gets_nothing(
    oauth_bot: BotServer, slack: SlackStandIn, driver: SlackDriver
) -> None:
    answer = driver.command(
        command="/kudos", text="<@U0BOB|bob> thanks", user_id="U0ALICE", channel_id="C0GENERAL"
    )
    assert "Kudos to" not in answer.text
    with oauth_bot.runtime.sessions() as session:
        assert session.scalars(select(Kudos)).all() == []


def test_a_rotating_token_is_refreshed_before_it_expires(
    oauth_bot: BotServer, slack: SlackStandIn, driver: SlackDriver
) -> None:
    # Tokens that live one hour are inside the two-hour rotation window from the start.
    slack.token_lifetime_seconds = 3600
    install(oauth_bot, slack, "T0001", "Acme", "U0ALICE", rotating=True)
    slack.wait_for(lambda c: c.method == "chat.postMessage" and c.args.get("channel") == "U0ALICE")
    refreshes = [
        c for c in slack.calls_to("oauth.v2.access") if c.args.get("grant_type") == "refresh_token"
    ]
    assert refreshes, "the worker sent the welcome without rotating its expiring token"
    assert all(c.ok for c in slack.calls_to("chat.postMessage"))
    assert oauth_bot.runtime.installations is not None
    store = oauth_bot.runtime.installations

    def saved() -> bool:
        # Each caller inside the rotation window rotates (the directory sync too, which may go
        # on after the welcome): the newest token of all, once they are done, is the one saved.
        newest = [
            c.response["access_token"]
            for c in slack.calls_to("oauth.v2.access")
            if c.args.get("grant_type") == "refresh_token"
        ][-1]
        bot = store.find_bot(enterprise_id=None, team_id="T0001")
        return bot is not None and bot.bot_token == newest

    eventually(saved, what="the refreshed token saved")


def test_uninstalling_forgets_the_tokens(
    oauth_bot: BotServer, slack: SlackStandIn, driver: SlackDriver
) -> None:
    install(oauth_bot, slack, "T0001", "Acme", "U0ALICE")
    assert driver.event(payloads.event_callback(payloads.app_uninstalled_event())).status_code in (
        200,
        404,
    )
    assert oauth_bot.runtime.installations is not None
    eventually(
        lambda: (
            oauth_bot.runtime.installations.find_bot(enterprise_id=None, team_id="T0001") is None
        ),
        what="T0001's installation forgotten",
    )
    with oauth_bot.runtime.sessions() as session:
        assert session.get_one(Workspace, "T0001").active is False


def test_two_workspaces_never_see_each_others_records(
    oauth_bot: BotServer, slack: SlackStandIn, driver: SlackDriver
) -> None:
    slack.add_user("U2ANNA", "anna", tz="Europe/Paris")
    slack.add_user("U2BEN", "ben", tz="Europe/Paris")
    slack.add_channel("C2MAIN", "main")
    install(oauth_bot, slack, "T0001", "Acme", "U0ALICE")
    install(oauth_bot, slack, "T0002", "Beta", "U2ANNA")

    def command(team: str, user: str, channel: str, name: str, text: str) -> str:
        return reply_text(
            driver.command(command=name, text=text, user_id=user, channel_id=channel, team_id=team)
        )

    assert "Kudos to" in command("T0001", "U0ALICE", "C0GENERAL", "/kudos", "<@U0BOB|bob> thanks A")
    assert "Kudos to" in command("T0002", "U2ANNA", "C2MAIN", "/kudos", "<@U2BEN|ben> thanks B")
    command("T0001", "U0BOB", "C0GENERAL", "/offer", "postgres")
    command("T0002", "U2BEN", "C2MAIN", "/offer", "postgres")
    who_b = command("T0002", "U2ANNA", "C2MAIN", "/offer", "who postgres")
    assert "<@U2BEN>" in who_b
    assert "U0BOB" not in who_b
    top_b = command("T0002", "U2ANNA", "C2MAIN", "/kudos", "top")
    assert "U0BOB" not in top_b
    assert "bob" not in top_b.lower()
    with oauth_bot.runtime.sessions() as session:
        teams = {k.message: k.team_id for k in session.scalars(select(Kudos))}
        offers = {(o.team_id, o.user_id) for o in session.scalars(select(Offer))}
        members_b = set(session.scalars(select(Member.user_id).where(Member.team_id == "T0002")))
    assert teams == {"thanks A": "T0001", "thanks B": "T0002"}
    assert offers == {("T0001", "U0BOB"), ("T0002", "U2BEN")}
    outbox_drained(oauth_bot)
    # Each workspace's posts went out with its own token.
    posts = {
        c.args.get("channel"): c.token
        for c in slack.calls_to("chat.postMessage")
        if c.args.get("channel") in ("C0GENERAL", "C2MAIN")
    }
    assert posts["C0GENERAL"] != posts["C2MAIN"]
    assert {"U2ANNA", "U2BEN"} <= members_b  # Beta's directory was synced with Beta's token
    # Asks: Beta's ask reaches Beta's expert, never Acme's (who offered the same topic).
    before = len(slack.calls_to("chat.postMessage"))
    command("T0002", "U2ANNA", "C2MAIN", "/ask", "How do I vacuum a big postgres table? #postgres")
    outbox_drained(oauth_bot)
    told = {c.args["channel"] for c in slack.calls_to("chat.postMessage")[before:]}
    assert "U2BEN" in told
    assert "U0BOB" not in told
    # Digests: each workspace's week names only its own people.
    from app.digest.runs import render
    from app.digest.weeks import week_of

    now = oauth_bot.runtime.clock.now()
    with oauth_bot.runtime.sessions() as session:
        for team, ours, theirs in (("T0001", "U0BOB", "U2BEN"), ("T0002", "U2BEN", "U0BOB")):
            workspace = session.get_one(Workspace, team)
            week = week_of(now, zone(workspace.timezone))
            _, blocks, _ = render(session, workspace, week, now)
            text = json.dumps(blocks)
            assert ours in text
            assert theirs not in text
            assert ("thanks A" in text) == (team == "T0001")


def test_tokens_are_encrypted_at_rest_and_keys_rotate(
    oauth_bot: BotServer, slack: SlackStandIn, driver: SlackDriver, database_url: str
) -> None:
    from app.server import use_installations
    from app.store.db import make_engine

    install(oauth_bot, slack, "T0001", "Acme", "U0ALICE")
    assert oauth_bot.runtime.installations is not None
    bot = oauth_bot.runtime.installations.find_bot(enterprise_id=None, team_id="T0001")
    assert bot is not None
    assert bot.bot_token is not None
    token = bot.bot_token
    assert token.startswith("xoxb-")
    engine = make_engine(database_url, pool_size=1)

    def stored() -> list[str]:
        with engine.connect() as connection:
            return [
                str(value)
                for table in ("slack_bots", "slack_installations")
                for value in connection.scalars(text(f"SELECT bot_token FROM {table}"))
            ]

    at_rest = stored()
    assert at_rest
    assert all(value.startswith("enc:v1:") and token not in value for value in at_rest)
    # Rotation: a new key first re-encrypts every token at start-up; then the old key can go.
    new_key = Fernet.generate_key().decode()
    rotated = oauth_bot.runtime.__class__(**{**oauth_bot.runtime.__dict__})
    rotated.settings = oauth_bot.settings.__class__(
        **{**oauth_bot.settings.__dict__, "token_encryption_keys": (new_key, KEY)}
    )
    use_installations(rotated)
    assert stored() != at_rest
    only_new = oauth_bot.runtime.__class__(**{**oauth_bot.runtime.__dict__})
    only_new.settings = oauth_bot.settings.__class__(
        **{**oauth_bot.settings.__dict__, "token_encryption_keys": (new_key,)}
    )
    use_installations(only_new)
    assert only_new.installations is not None
    found = only_new.installations.find_bot(enterprise_id=None, team_id="T0001")
    assert found is not None
    assert found.bot_token == token
    engine.dispose()


def test_an_installation_store_that_fails_is_not_read_as_uninstalled(
    oauth_bot: BotServer, slack: SlackStandIn, driver: SlackDriver, slack_mode: str
) -> None:
    # Bolt reads any error of the installation store as "not installed": a command would hear
    # that the app is gone and an event would be answered 200, so Slack would never resend it.
    install(oauth_bot, slack, "T0001", "Acme", "U0ALICE")
    # The install's directory sync finishes first: on a busy machine it could otherwise meet the
    # store away too, and the last command would read Bob through to Slack (another matter).
    wait_for_member(oauth_bot, "U0BOB")
    with oauth_bot.runtime.engine.begin() as connection:
        connection.execute(text("ALTER TABLE slack_bots RENAME TO slack_bots_away"))
    # The bot the worker read for the welcome is remembered for a minute; once that lapses,
    # the next request reads the store.
    remembered = oauth_bot.runtime.installations
    assert isinstance(remembered, RememberedBots)
    remembered.forget()
    try:
        answer = driver.command(
            command="/kudos", text="<@U0BOB|bob> thanks", user_id="U0ALICE", channel_id="C0GENERAL"
        )
        assert answer.status_code == 200
        assert reply_text(answer) == TRY_AGAIN
        assert "no longer available" not in answer.text
        # Someone invited the bot to #general: Slack sends reactions only from its channels.
        slack.set_bot_member("C0GENERAL", True)
        reaction = payloads.event_callback(
            payloads.reaction_added_event(
                user="U0ALICE",
                reaction="tada",
                channel="C0GENERAL",
                ts="1.000001",
                item_user="U0BOB",
            )
        )
        if slack_mode == "http":
            # Not a 2xx: Slack sends the event again later.
            assert driver.event(reaction).status_code == 500
    finally:
        with oauth_bot.runtime.engine.begin() as connection:
            connection.execute(text("ALTER TABLE slack_bots_away RENAME TO slack_bots"))
    again = driver.command(
        command="/kudos", text="<@U0BOB|bob> thanks", user_id="U0ALICE", channel_id="C0GENERAL"
    )
    assert "Kudos to" in reply_text(again)
    with oauth_bot.runtime.sessions() as session:
        assert [k.message for k in session.scalars(select(Kudos))] == ["thanks"]
