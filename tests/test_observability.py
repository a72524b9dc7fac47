"""What an operator sees: the Prometheus series on /metrics, and one JSON log line per request
with who and what, never a token or the text people typed."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client import generate_latest
from sqlalchemy import text as sql

from app.clock import OffsetClock
from app.logs import JsonFormatter, TextFormatter, configure_logging
from app.metrics import ACK_BUCKETS, Metrics
from app.runtime import build_runtime
from app.sandbox import payloads
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.scheduler import Scheduler
from app.server import BotServer
from app.settings import Settings
from app.slackapi.web_api import RateLimited, TransientError, WebApi, WebApiError
from tests.conftest import BOT_TOKEN, BotFactory, bot_settings, slack_driver
from tests.kudos.conftest import reply_text


@pytest.fixture
def slack_mode() -> str:
    """Driven over signed HTTP here; one test below drives Socket Mode itself."""
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
        found = rest.rsplit("}", 1)[0] if rest else ""
        ordered = ",".join(sorted(found.split(","))) if found else ""
        if ordered == wanted:
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{series}{{{wanted}}} not exposed")


def _scrape(bot: BotServer) -> str:
    response = httpx.get(f"{bot.url}/metrics", timeout=5)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def _kudos(driver: SlackDriver, text: str, **fields: str) -> httpx.Response:
    return driver.command(
        command="/kudos", text=text, user_id="U0ALICE", channel_id="C0GENERAL", **fields
    )


def test_metrics_expose_commands_acks_slack_calls_outbox_and_scheduler(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver
) -> None:
    given = _kudos(driver, "<@U0BOB|bob> thanks for the review")
    assert "Kudos to" in reply_text(given)
    assert "yourself" in reply_text(_kudos(driver, "<@U0ALICE|alice> thanks me"))
    assert reply_text(_kudos(driver, "", trigger_id=slack.issue_trigger_id())) == ""
    offered = driver.command(
        command="/offer", text="postgres", user_id="U0BOB", channel_id="C0GENERAL"
    )
    assert "postgres" in reply_text(offered)
    slack.wait_for("chat.postMessage", count=2)
    undo = given.json()["blocks"][1]["elements"][0]
    click = payloads.block_actions(
        user_id="U0ALICE",
        action_id=undo["action_id"],
        value=undo["value"],
        response_url=slack.new_response_url(),
    )
    assert driver.interactive(click).status_code == 200
    event = payloads.event_callback(payloads.app_home_opened_event(user="U0ALICE"))
    assert driver.event(event).status_code == 200
    jobs = Scheduler(bot.runtime)
    jobs.digests()
    jobs.nudges()
    bot.worker.drain(10)
    slack.wait_for("response_url")

    text = _scrape(bot)
    commands = "reciprocity_commands_total"
    assert _value(text, commands, command="/kudos", outcome="ok") == 1
    assert _value(text, commands, command="/kudos", outcome="refused") == 1
    assert _value(text, commands, command="/kudos", outcome="form") == 1
    assert _value(text, commands, command="/offer", outcome="ok") == 1
    assert "# TYPE reciprocity_ack_seconds histogram" in text
    assert _value(text, "reciprocity_ack_seconds_count", kind="command") == 4
    assert _value(text, "reciprocity_ack_seconds_count", kind="action") == 1
    assert _value(text, "reciprocity_ack_seconds_count", kind="event") == 1
    # Every ack inside Slack's 3 s, and each took some time.
    assert _value(text, "reciprocity_ack_seconds_bucket", kind="command", le="3.0") == 4
    assert 0 < _value(text, "reciprocity_ack_seconds_sum", kind="command") < 12
    # The operator's buckets, each counting the acks at most its bound: cumulative, all in +Inf.
    bounds = re.findall(r'reciprocity_ack_seconds_bucket\{kind="command",le="([^"]+)"\}', text)
    assert bounds == [*(str(bound) for bound in ACK_BUCKETS), "+Inf"]
    counts = [
        _value(text, "reciprocity_ack_seconds_bucket", kind="command", le=bound) for bound in bounds
    ]
    assert counts == sorted(counts)
    assert counts[-1] == 4
    calls = "reciprocity_slack_api_calls_total"
    assert _value(text, calls, method="chat.postMessage", status="ok") >= 2  # post + Bob's DM
    assert _value(text, calls, method="chat.update", status="ok") >= 1  # the undone post
    assert _value(text, calls, method="response_url", status="ok") >= 1  # "withdrawn"
    assert _value(text, calls, method="users.list", status="ok") >= 1
    assert _value(text, "reciprocity_outbox_depth") == 0
    assert _value(text, "reciprocity_outbox_oldest_seconds") == 0
    runs = "reciprocity_scheduler_runs_total"
    assert _value(text, runs, job="digests", outcome="ok") == 1
    assert _value(text, runs, job="nudges", outcome="ok") == 1
    # No team, user or text ever becomes a label.
    labels = " ".join(re.findall(r"\{[^}]*\}", text))
    assert not re.search(r"T0001|U0ALICE|U0BOB|review|thanks|postgres", labels)


def test_a_command_that_failed_is_counted_as_an_error(bot: BotServer, driver: SlackDriver) -> None:
    # A table gone missing: the listener's transaction fails and the person is told to retry.
    with bot.runtime.engine.begin() as connection:
        connection.execute(sql("ALTER TABLE offers RENAME TO offers_elsewhere"))
    offered = driver.command(
        command="/offer", text="postgres", user_id="U0BOB", channel_id="C0GENERAL"
    )
    assert "try again" in reply_text(offered)
    metrics = _scrape(bot)
    assert _value(metrics, "reciprocity_commands_total", command="/offer", outcome="error") == 1
    assert 'reciprocity_commands_total{command="/offer",outcome="ok"}' not in metrics


def test_an_unsigned_request_is_logged_but_not_counted(
    bot: BotServer, driver: SlackDriver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="app.slack.observe")
    response = driver.command(
        command="/kudos",
        text="<@U0BOB|bob> thanks",
        user_id="U0ALICE",
        channel_id="C0GENERAL",
        bad_signature=True,
    )
    assert response.status_code == 401
    text = _scrape(bot)
    assert "reciprocity_commands_total{" not in text
    assert "reciprocity_ack_seconds_count{" not in text
    (line,) = [r for r in caplog.records if r.name == "app.slack.observe"]
    assert (line.__dict__["kind"], line.__dict__["outcome"]) == ("command", "rejected")
    # Nothing an unsigned body claims is logged as fact.
    assert "workspace" not in line.__dict__
    assert "user" not in line.__dict__


def test_a_stopped_worker_shows_in_the_outbox_series(
    database_url: str, slack: SlackStandIn, serve_bot: BotFactory
) -> None:
    clock = OffsetClock(datetime(2026, 3, 4, 10, 0, tzinfo=UTC))
    bot = serve_bot(bot_settings(database_url, slack), clock=clock, with_worker=False)
    with slack_driver(bot, slack, "http") as driver:
        _kudos(driver, "<@U0BOB|bob> thanks")
    clock.advance(timedelta(minutes=2))
    text = _scrape(bot)
    assert _value(text, "reciprocity_outbox_depth") >= 2  # the post and Bob's DM
    assert 120 <= _value(text, "reciprocity_outbox_oldest_seconds") < 180
    bot.worker.drain(10)
    text = _scrape(bot)
    assert _value(text, "reciprocity_outbox_depth") == 0
    assert _value(text, "reciprocity_outbox_oldest_seconds") == 0


def test_socket_mode_requests_are_measured_too(
    database_url: str, slack: SlackStandIn, serve_bot: BotFactory
) -> None:
    bot = serve_bot(bot_settings(database_url, slack, "socket"))
    with slack_driver(bot, slack, "socket") as driver:
        assert "Kudos to" in reply_text(_kudos(driver, "<@U0BOB|bob> thanks"))
    text = _scrape(bot)
    assert _value(text, "reciprocity_commands_total", command="/kudos", outcome="ok") == 1
    assert _value(text, "reciprocity_ack_seconds_count", kind="command") == 1


def test_a_broken_database_counts_scheduler_errors_and_still_scrapes(
    empty_database_url: str, slack: SlackStandIn
) -> None:
    # No tables: every query fails, as when the database is away.
    runtime = build_runtime(Settings(database_url=empty_database_url, slack_api_url=slack.base_url))
    try:
        jobs = Scheduler(runtime)
        assert jobs.digests() == []
        assert jobs.nudges() is None
        text = generate_latest(runtime.metrics.registry).decode()
    finally:
        runtime.close()
    runs = "reciprocity_scheduler_runs_total"
    assert _value(text, runs, job="digests", outcome="error") == 1
    assert _value(text, runs, job="nudges", outcome="error") == 1
    assert "reciprocity_outbox_depth" not in text


def test_every_web_api_call_is_counted_by_method_and_status(slack: SlackStandIn) -> None:
    metrics = Metrics()
    api = WebApi(slack.base_url, timeout=0.5, on_call=metrics.slack_call)
    post = {"channel": "C0GENERAL", "text": "hi"}
    try:
        api.call("chat.postMessage", BOT_TOKEN, post)
        slack.fail_next("chat.postMessage", status=429)
        with pytest.raises(RateLimited):
            api.call("chat.postMessage", BOT_TOKEN, post)
        slack.fail_next("chat.postMessage", status=503)
        with pytest.raises(TransientError):
            api.call("chat.postMessage", BOT_TOKEN, post)
        slack.hang_next("chat.postMessage", seconds=2)
        with pytest.raises(TransientError):
            api.call("chat.postMessage", BOT_TOKEN, post)
        slack.fail_next("chat.postMessage", error="channel_not_found")
        with pytest.raises(WebApiError):
            api.call("chat.postMessage", BOT_TOKEN, post)
        # An error code Slack may invent tomorrow must not become a label of its own.
        slack.fail_next("chat.postMessage", error="brand_new_error_for_U0ALICE", undocumented=True)
        with pytest.raises(WebApiError):
            api.call("chat.postMessage", BOT_TOKEN, post)
        api.post_response_url(slack.new_response_url(), {"text": "done"})
    finally:
        api.close()
    text = generate_latest(metrics.registry).decode()
    calls = "reciprocity_slack_api_calls_total"
    for status in ("ok", "ratelimited", "http_5xx", "timeout", "channel_not_found", "other"):
        assert _value(text, calls, method="chat.postMessage", status=status) == 1, status
    assert _value(text, calls, method="response_url", status="ok") == 1
    assert "brand_new" not in text


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """The process logging as `LOG_FORMAT=json` configures it, its stderr handler captured."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    configure_logging("INFO", "json")
    (handler,) = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    assert isinstance(handler.formatter, JsonFormatter)
    stream = io.StringIO()
    handler.setStream(stream)
    yield stream
    root.handlers[:], level = saved
    root.setLevel(level)


def test_json_logs_carry_who_and_what_but_no_text_or_token(
    bot: BotServer, driver: SlackDriver, json_logs: io.StringIO
) -> None:
    secret = "xoxb-123-456-abcdef"
    _kudos(driver, f"<@U0BOB|bob> thanks for the secret plan {secret}")
    _kudos(driver, "<@U0ALICE|alice> thanks me")
    output = json_logs.getvalue()
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    handled = [line for line in lines if line["logger"] == "app.slack.observe"]
    assert [(h["workspace"], h["user"], h["command"], h["outcome"]) for h in handled] == [
        ("T0001", "U0ALICE", "/kudos", "ok"),
        ("T0001", "U0ALICE", "/kudos", "refused"),
    ]
    assert all(h["level"] == "INFO" and h["kind"] == "command" for h in handled)
    # The ack time is logged as a number of milliseconds (no bound on it: the host sets that).
    assert all(isinstance(h["latency_ms"], float) and h["latency_ms"] > 0 for h in handled)
    assert "secret plan" not in output
    assert "thanks" not in output
    assert "xoxb-" not in output


def test_the_json_formatter_redacts_tokens_passed_by_mistake() -> None:
    try:
        raise ValueError("failed with xoxp-9-9-zz")
    except ValueError:
        record = logging.getLogger("t").makeRecord(
            "t",
            logging.ERROR,
            __file__,
            1,
            "calling with %s",
            ("xoxb-1-2-abc",),
            exc_info=__import__("sys").exc_info(),
            extra={
                "bot_token": "xoxb-1-2-abc",
                "client_secret": "s3cr3t",
                "note": "refresh xoxe-1-zzz and app xapp-1-A-1-x",
                "nested": {"args": ["xoxb-7-7-nested"], "token": "plain"},
                "path": Path("/tmp/xoxb-8-8-path"),
            },
        )
    line = JsonFormatter().format(record)
    for leaked in ("xoxb-", "xoxe-", "xapp-", "xoxp-", "s3cr3t", '"plain"'):
        assert leaked not in line, leaked
    entry = json.loads(line)
    assert entry["bot_token"] == entry["client_secret"] == "[redacted]"
    assert entry["nested"]["token"] == "[redacted]"
    assert entry["message"] == "calling with [redacted]"
    assert "ValueError" in entry["exception"]
    assert "xoxb-" not in TextFormatter().format(record)
