"""`reciprocity run` as a real process: it serves Slack, and SIGTERM stops it cleanly."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from app.sandbox import payloads
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from tests.cli import inherited, start_app
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, free_port, wait_healthy


def test_run_serves_slack_and_stops_on_sigterm(
    database_url: str, slack: SlackStandIn, tmp_path: Path
) -> None:
    port = free_port()
    env = inherited(
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.base_url,
        PORT=str(port),
        LOG_FORMAT="json",
    )
    process = start_app(
        "run",
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, process)
        with SlackDriver(url, SIGNING_SECRET) as driver:
            assert driver.event(payloads.url_verification("ping")).status_code == 200
            assert (
                driver.event(payloads.url_verification("ping"), bad_signature=True).status_code
                == 401
            )
        assert len(slack.calls_to("auth.test")) == 1
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert '"message": "stopped"' in stderr
