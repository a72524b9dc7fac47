"""What an operator sees: the Prometheus series on /metrics, and one JSON log line per request
with who and what, never a token or the text people typed."""

from __future__ import annotations

import io
import json
import logging
import re

import httpx
import pytest

from app.logs import JsonFormatter
from app.sandbox import payloads
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.scheduler import Scheduler
from app.server import BotServer
from tests.kudos.conftest import reply_text


@pytest.fixture
def slack_mode() -> str:
    """Scraped over HTTP; the series are the same in both modes."""
    return "http"


def _value(text: str, series: str, **labels: str) -> float:
    """The value of `series` with exactly `labels` in Prometheus text `text`."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        name, _, rest = line.partition("{") if "{" in line else (line.split(" ")[0], "", "")
        if name != series:
            continue
        found = rest.split("}")[0] if rest else ""
        ordered = ",".join(sorted(found.split(","))) if found else ""
        if ordered == wanted:
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{series}{{{wanted}}} not exposed")


def test_metrics_expose_commands_acks_slack_calls_outbox_and_scheduler(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver
) -> None:
    def kudos(text: str) -> str:
        return reply_text(
            driver.command(command="/kudos", text=text, user_id="U0ALICE", channel_id="C0GENERAL")
        )

    assert "Kudos to" in kudos("<@U0BOB|bob> thanks for the review")
    assert "yourself" in kudos("<@U0ALICE|alice> thanks me")
    driver.command(command="/offer", text="postgres", user_id="U0BOB", channel_id="C0GENERAL")
    event = payloads.event_callback(payloads.app_home_opened_event(user="U0ALICE"))
    assert driver.event(event).status_code == 200
    jobs = Scheduler(bot.runtime)
    jobs.digests()
    jobs.nudges()
    bot.worker.drain(10)
    text = httpx.get(f"{bot.url}/metrics", timeout=5).text
    assert _value(text, "reciprocity_commands_total", command="/kudos", outcome="ok") == 2
    assert _value(text, "reciprocity_commands_total", command="/offer", outcome="ok") == 1
    assert _value(text, "reciprocity_ack_seconds_count", kind="command") == 3
    assert _value(text, "reciprocity_ack_seconds_count", kind="event") == 1
    assert _value(text, "reciprocity_ack_seconds_bucket", kind="command", le="3.0") == 3
    posted = _value(
        text, "reciprocity_slack_api_calls_total", method="chat.postMessage", status="ok"
    )
    assert posted >= 2  # the kudos post and Bob's note
    assert _value(text, "reciprocity_slack_api_calls_total", method="users.list", status="ok") >= 1
    assert _value(text, "reciprocity_outbox_depth") == 0
    assert _value(text, "reciprocity_outbox_oldest_seconds") == 0
    assert _value(text, "reciprocity_scheduler_runs_total", job="digests", outcome="ok") == 1
    assert _value(text, "reciprocity_scheduler_runs_total", job="nudges", outcome="ok") == 1
    # No team, user or text ever becomes a label.
    assert not re.search(r'(T0001|U0ALICE|U0BOB|review)"', text)


def test_a_stopped_worker_shows_in_the_outbox_series(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver
) -> None:
    bot.worker.stop()
    driver.command(
        command="/kudos", text="<@U0BOB|bob> thanks", user_id="U0ALICE", channel_id="C0GENERAL"
    )
    text = httpx.get(f"{bot.url}/metrics", timeout=5).text
    assert _value(text, "reciprocity_outbox_depth") >= 2
    assert _value(text, "reciprocity_outbox_oldest_seconds") >= 0


def test_json_logs_carry_who_and_what_but_no_text_or_token(
    bot: BotServer, driver: SlackDriver
) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("app.slack.bolt_app")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    try:
        driver.command(
            command="/kudos",
            text="<@U0BOB|bob> thanks for the secret plan xoxb-123-456-abc",
            user_id="U0ALICE",
            channel_id="C0GENERAL",
        )
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    handled = [line for line in lines if line["message"] == "handled /kudos"]
    assert len(handled) == 1
    entry = handled[0]
    assert (entry["workspace"], entry["user"], entry["command"], entry["outcome"]) == (
        "T0001",
        "U0ALICE",
        "/kudos",
        "ok",
    )
    assert entry["latency_ms"] > 0
    assert "secret plan" not in stream.getvalue()
    assert "xoxb-" not in stream.getvalue()


def test_the_json_formatter_redacts_tokens_passed_by_mistake() -> None:
    record = logging.makeLogRecord(
        {
            "msg": "calling with xoxb-1-2-abc",
            "levelname": "INFO",
            "bot_token": "xoxb-1-2-abc",
            "note": "refresh xoxe-1-zzz and app xapp-1-A-1-x",
        }
    )
    line = JsonFormatter().format(record)
    assert "xoxb-" not in line
    assert "xoxe-" not in line
    assert "xapp-" not in line
    assert json.loads(line)["bot_token"] == "[redacted]"
