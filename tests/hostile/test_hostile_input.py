"""Whatever arrives, the bot answers without a 5xx or a traceback, writes nothing it should not,
never re-emits a broadcast, and never reads or writes across workspaces."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from urllib.parse import urlencode

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.sandbox import payloads
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.store.db import transaction
from app.store.models import Ask, Kudos, Offer, OutboxMessage, ProcessedEvent, Workspace
from app.workspaces.service import Identity, ensure_workspace

# CI runs a sample; HOSTILE_FULL=1 (by hand) runs each property over many more inputs.
FULL = os.environ.get("HOSTILE_FULL", "").strip() == "1"
SLOW = settings(
    max_examples=1000 if FULL else 60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
BROADCASTS = ("<!channel>", "<!here>", "<!everyone>", "@channel", "@here", "@everyone")
# Text people might type, plus Slack's own markup and the odd control character.
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400
) | st.sampled_from(
    [
        "<!channel> thanks <@U0BOB>",
        "<@U0BOB|bob> <!subteam^S1|@devs> &lt;script&gt;",
        "@here @everyone <!everyone>",
        "<@U0ALICE> thanks me",
        "x" * 5000,
        "<#C0GENERAL|general> <https://evil.example|click>",
        "\u0000\u202e<@U0BOB>",
    ]
)


def _sane(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text
    assert 'File "' not in response.text


def _posted_text(slack: SlackStandIn) -> str:
    return json.dumps(
        [c.args for c in slack.calls if c.method in ("chat.postMessage", "chat.update")],
        ensure_ascii=False,
    )


@SLOW
@given(command=st.sampled_from(["/kudos", "/ask", "/offer"]), text=TEXT)
def test_any_command_text_gets_an_answer_and_broadcasts_stay_inert(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver, command: str, text: str
) -> None:
    response = driver.command(command=command, text=text, user_id="U0ALICE", channel_id="C0GENERAL")
    _sane(response)
    assert response.status_code == 200
    bot.worker.drain(5)
    posted = _posted_text(slack)
    for broadcast in BROADCASTS:
        # An "@" followed by the word joiner is how the bot shows a broadcast without sending it.
        assert broadcast not in posted.replace("@\u2060", "@~")


@SLOW
@given(
    body=st.binary(max_size=2000),
    content_type=st.sampled_from(
        ["application/x-www-form-urlencoded", "application/json", "text/plain"]
    ),
)
def test_malformed_bodies_never_cause_a_5xx(
    bot: BotServer, driver: SlackDriver, body: bytes, content_type: str
) -> None:
    _sane(driver.post_raw(body, content_type))


@SLOW
@given(
    payload=st.one_of(
        st.text(max_size=300),
        st.builds(
            json.dumps, st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=5)
        ),
        st.just('{"type": "block_actions", "actions": "nope", "user": 5}'),
        st.just(
            '{"type": "view_submission", "view": {"callback_id": "ask.resolved", '
            '"private_metadata": "{not json", "state": {"values": 7}}}'
        ),
    )
)
def test_malformed_interaction_payloads_never_cause_a_5xx(
    bot: BotServer, driver: SlackDriver, payload: str
) -> None:
    body = urlencode({"payload": payload}).encode()
    _sane(driver.post_raw(body, "application/x-www-form-urlencoded"))


def _rows(bot: BotServer) -> dict[str, int]:
    with bot.runtime.sessions() as session:
        return {
            model.__name__: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Kudos, Ask, Offer, OutboxMessage)
        }


@SLOW
@given(
    action=st.sampled_from(
        [
            "ask.claim",
            "ask.resolve",
            "ask.close",
            "ask.reopen",
            "kudos.undo",
            "home.offer_remove",
            "nudge.keep",
            "nudge.thank",
            "offers.keep",
            "offers.drop",
            "ask.stop_matches",
        ]
    ),
    value=st.one_of(
        st.text(max_size=50), st.integers(min_value=-(2**70), max_value=2**70).map(str)
    ),
)
def test_forged_button_values_change_nothing(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver, action: str, value: str
) -> None:
    before = _rows(bot)
    payload = payloads.block_actions(
        user_id="U0BOB", action_id=action, value=value, channel_id="C0GENERAL", message_ts="1.1"
    )
    _sane(driver.interactive(payload))
    after = _rows(bot)
    # At most an ephemeral answer to the clicker is queued; no record is created or changed.
    assert {k: v for k, v in after.items() if k != "OutboxMessage"} == {
        k: v for k, v in before.items() if k != "OutboxMessage"
    }


@SLOW
@given(
    callback=st.sampled_from(
        ["ask.compose", "ask.resolved", "kudos.give", "home.offer_added", "workspace.settings"]
    ),
    metadata=st.text(max_size=200)
    | st.builds(
        json.dumps,
        st.dictionaries(
            st.sampled_from(["ask_id", "channel_id", "in_dm", "response_url"]),
            st.one_of(st.integers(), st.text(max_size=30), st.booleans(), st.none()),
        ),
    ),
)
def test_forged_form_metadata_never_causes_a_5xx(
    bot: BotServer, driver: SlackDriver, callback: str, metadata: str
) -> None:
    values = {
        "need": {"text": payloads.plain_text_value("Review my chart please today")},
        "helpers": {"users": payloads.multi_users_select_value(["U0BOB"])},
        "note": {"text": payloads.plain_text_value("thanks")},
        "topics": {"text": payloads.plain_text_value("postgres")},
    }
    response = driver.interactive(
        payloads.view_submission(
            user_id="U0BOB", callback_id=callback, values=values, private_metadata=metadata
        )
    )
    _sane(response)


def test_a_forged_resolve_on_another_workspaces_ask_reads_and_writes_nothing(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver
) -> None:
    now = datetime.now(UTC)
    with transaction(bot.runtime.sessions) as session:
        ensure_workspace(session, Identity("T0OTHER", "Other", "UBOT9", "BBOT9"), now)
        other = Ask(
            team_id="T0OTHER",
            asker_id="U0BOB",  # the same person id, in another workspace
            text="secret question of another workspace",
            topics=[],
            origin_channel_id="C9",
            channel_id="C9",
            message_ts="1.9",
            status="open",
            created_at=now,
            updated_at=now,
        )
        session.add(other)
        session.flush()
        other_id = other.id
    for action in ("ask.resolve", "ask.close", "ask.claim"):
        payload = payloads.block_actions(
            user_id="U0BOB",
            action_id=action,
            value=str(other_id),
            channel_id="C0GENERAL",
            message_ts="1.1",
            trigger_id=slack.issue_trigger_id(),
        )
        _sane(driver.interactive(payload))
    bot.worker.drain(5)
    assert slack.calls_to("views.open") == []
    assert "secret question" not in _posted_text(slack)
    with bot.runtime.sessions() as session:
        assert session.get_one(Ask, other_id).status == "open"


def test_requests_for_a_workspace_that_is_not_installed_write_nothing(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver
) -> None:
    before = _rows(bot)
    response = driver.command(
        command="/kudos",
        text="<@U0BOB|bob> thanks",
        user_id="U0ALICE",
        channel_id="C0GENERAL",
        team_id="T0NOTHERE",
    )
    _sane(response)
    event = payloads.event_callback(
        payloads.message_event(
            user="U0BOB",
            channel="C0GENERAL",
            text="hi",
            ts="5.5",
            thread_ts="4.4",
            team="T0NOTHERE",
        ),
        team_id="T0NOTHERE",
    )
    _sane(driver.event(event))
    assert _rows(bot) == before
    with bot.runtime.sessions() as session:
        assert session.get(Workspace, "T0NOTHERE") is None
        assert (
            session.scalar(
                select(func.count())
                .select_from(ProcessedEvent)
                .where(ProcessedEvent.team_id == "T0NOTHERE")
            )
            == 0
        )


def test_unknown_commands_get_an_answer(bot: BotServer, driver: SlackDriver) -> None:
    _sane(
        driver.command(
            command="/launch-missiles", text="now", user_id="U0ALICE", channel_id="C0GENERAL"
        )
    )
