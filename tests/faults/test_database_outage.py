"""PostgreSQL stopped for 10 s under load: commands answer "try again" within Slack's 3 s,
nothing is half-written, and once it is back everything acknowledged is stored once."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from app.slack.replies import TRY_AGAIN
from bench.loadkit.driver import start_drive
from bench.loadkit.exactly_once import exactly_once_problems
from bench.loadkit.mix import COMMANDS
from tests.conftest import TEST_DATABASE_URL
from tests.faults.conftest import SIZES, cluster

OUTAGE_SECONDS = 10.0
# Slack shows the person an error if the ack takes longer than this.
ACK_DEADLINE = 3.0
CLUSTERS = Path("/etc/postgresql")


def _local_cluster() -> list[str] | None:
    """`pg_ctlcluster` arguments for the PostgreSQL TEST_DATABASE_URL names, if it runs here."""
    if not TEST_DATABASE_URL or shutil.which("pg_ctlcluster") is None or not CLUSTERS.is_dir():
        return None
    if make_url(TEST_DATABASE_URL).host not in ("127.0.0.1", "localhost", None):
        return None
    versions = sorted(os.listdir(CLUSTERS))
    if not versions:
        return None
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main"]


def _pg(action: str) -> None:
    command = _local_cluster()
    assert command is not None
    subprocess.run([*command, action], check=True, capture_output=True, timeout=60)


@pytest.mark.postgres
@pytest.mark.serial  # every other test on this server would fail while it is down
@pytest.mark.timeout(SIZES.timeout)
def test_a_database_outage_answers_try_again_and_half_writes_nothing(backend: str) -> None:
    if _local_cluster() is None:
        pytest.skip("needs the local PostgreSQL cluster of TEST_DATABASE_URL and pg_ctlcluster")
    with cluster(backend) as bot:
        load = start_drive(bot, SIZES.rate, 4 + OUTAGE_SECONDS + 8)
        time.sleep(4)
        try:
            _pg("stop")
            down = time.time()
            time.sleep(OUTAGE_SECONDS)
        finally:
            back = time.time()
            _pg("start")
        run = load.result()
        during = [s for s in run.sent if s.kind in COMMANDS and down <= s.at < back]
        assert during, "no command was sent while the database was down"
        wrong = [
            f"{s.kind} {s.marker}: HTTP {s.status or s.error}, {s.latency or 0:.2f}s, "
            f"{s.answer[:80]!r}"
            for s in during
            if s.status != 200
            or s.latency is None
            or s.latency > ACK_DEADLINE
            or TRY_AGAIN not in s.answer
        ]
        # Checked before asserting anything, so one failure shows all that went wrong.
        problems = exactly_once_problems(bot, run.sent, drain_timeout=90)
        assert not wrong, (
            f"{len(wrong)} of {len(during)} commands during the outage were not answered "
            "'try again' in time:\n"
            + "\n".join(wrong[:15])
            + f"\n\nand {len(problems)} exactly-once problems:\n"
            + "\n".join(problems[:15])
        )
        # Once the database is back the bot serves again.
        assert any(s.outcome == "ok" for s in run.sent if s.at > back + 3)
        assert problems == [], "\n".join(problems[:40])
