"""How hard the delivery worker pushes and how patient it is."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WorkerConfig:
    """How hard the worker pushes and how patient it is."""

    concurrency: int = 16
    batch_size: int = 100
    lease_seconds: float = 60.0
    # The longest an idle worker sleeps: it wakes on its process's doorbell, on a NOTIFY
    # (PostgreSQL) and when a row it knows of comes due, so this only bounds what it cannot know
    # (a lost NOTIFY, a row another process queued on SQLite, where there is no NOTIFY).
    poll_seconds: float = 30.0
    # Rows queued this soon after the last claim wait for the rest of this moment, and are
    # claimed with whatever else commits meanwhile (`NextClaim.gathering`): a claim is a round's
    # costliest statement, and a burst of commits otherwise drew a round each. The price is the
    # wait, at most this long, before a post leaves under load (a DM still follows its post at
    # once); a person does not see 50 ms, and Slack's own call takes longer. bench.kudos_e2e,
    # 4 connections, delivered a second at 0 / 10 / 25 / 50 ms: SQLite 251-261 / 275 / 367 /
    # 402, PostgreSQL 185-201 / 222 / 241 / 277 (bench/README.md).
    claim_every_seconds: float = 0.05
    # A call that went through is recorded by the next round that has something else to do (a
    # commit that queued rows rings for one), and within this long at the latest: in a trickle
    # of kudos one round records a kudos and claims the next, rather than a round for each. A
    # call that did not go through rings for its round at once, as does any call while the
    # worker owes a claim (no slot was free to claim into, say).
    record_within_seconds: float = 0.25
    # On PostgreSQL the rounds plan their statements once, on a connection of their own, and
    # take a new one (plans made again for the tables as they have grown) when the rows claimed
    # reach this, and again each time they double (`round_plans`).
    replan_after_rows: int = 256
    # After a failed pass (the database away), try again this much later.
    retry_seconds: float = 1.0
    max_attempts: int = 8
    max_backoff_seconds: float = 300.0
    # After a post that may have gone through unseen and that Slack may still be working on (a
    # timeout, a connection cut mid-call, a worker that died mid-call), wait this long before
    # looking for it on Slack: a request Slack is still carrying out would not be found yet.
    unsure_wait_seconds: float = 30.0
    # After one Slack answered with a failure that may hide a post (a 5xx, `fatal_error`), it is
    # done with the request: look after this long (or the backoff, if longer).
    answered_wait_seconds: float = 2.0
    keep_sent_days: int = 7
    keep_failed_days: int = 30
    prune_every_seconds: float = 3600.0


# On SQLite one process serves, but a command line run (`reciprocity jobs`, a sandbox) may queue
# rows from another, unannounced: the worker looks this often at least.
SQLITE_POLL_SECONDS = 5.0
