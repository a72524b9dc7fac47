"""A person's wish to give kudos, as every surface (command, form, reaction, resolved ask)
hands it to `giving.give`."""

from __future__ import annotations

from dataclasses import dataclass

from app.slackapi.payloads import Conversation


@dataclass(frozen=True)
class KudosRequest:
    """A person's wish to thank others, already parsed out of Slack's payload."""

    team_id: str
    giver_id: str
    recipients: tuple[str, ...]
    message: str
    where: Conversation
    values: tuple[str, ...] = ()
    source: str = "command"
    response_url: str | None = None
    dedupe_key: str | None = None
    # Names that arrived as plain "@name" (an app installed without escaping), to resolve.
    plain_names: tuple[str, ...] = ()
