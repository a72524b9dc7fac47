"""The workspace settings form's front doors: opening it and saving it, for admins only.

`open_settings` answers the form prefilled from the workspace; `save_settings` checks a submission
field by field (app/workspaces/settings_fields.py holds every field once), then across fields, and
writes it. Both check admin rights here, whoever asks: the form could have been opened, or forged,
by anyone, and who submits is who Slack says, never the form's metadata.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from itertools import pairwise
from types import MappingProxyType
from typing import Any, Protocol

from sqlalchemy.orm import Session

from app.slackapi.blockkit import header, plain, section
from app.slackapi.outcomes import Done, FormErrors, OpenView, Refusal
from app.slackapi.payloads import Submission
from app.store.models import Member, Workspace
from app.workspaces.form_kinds import Invalid
from app.workspaces.settings_fields import FIELDS, SECTIONS

log = logging.getLogger(__name__)

CALLBACK = "workspace.settings"
TITLE = "Workspace settings"
NOT_ADMIN = "Only workspace admins can change settings; ask one of them."
OPEN_FAILED = "I couldn't open the settings form in time. Please try `/kudos settings` again."
_NAMES = frozenset(field.name for field in FIELDS)


class SettingsRefused(StrEnum):
    """Why the settings form was not opened or saved."""

    NOT_ADMIN = "not_admin"


class Members(Protocol):
    """Who someone in a workspace is: the directory, or Slack when the directory has not seen
    them yet (app.directory's SlackLookup)."""

    def member(self, session: Session, team_id: str, user_id: str, now: datetime) -> Member | None:
        """The person's profile, or None if unknown."""
        ...


class SettingsChange:
    """Validated new values for every setting the form covers, by `Workspace` attribute
    (`change.timezone` reads as the column it sets); lists are tuples."""

    def __init__(self, **values: Any) -> None:
        if set(values) != _NAMES:
            raise TypeError(f"settings differ from the form's: {set(values) ^ _NAMES}")
        self.values: Mapping[str, Any] = MappingProxyType(values)

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__.get("values", {})
        if name not in values:
            raise AttributeError(name)
        return values[name]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SettingsChange) and dict(self.values) == dict(other.values)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SettingsChange({dict(self.values)!r})"


def open_settings(
    session: Session, members: Members, team_id: str, user_id: str, now: datetime
) -> OpenView | Refusal:
    """Open the settings form for `user_id` if they are an admin of `team_id`."""
    if not _is_admin(session, members, team_id, user_id, now):
        return Refusal(SettingsRefused.NOT_ADMIN, NOT_ADMIN)
    return OpenView(settings_modal(session.get_one(Workspace, team_id)), OPEN_FAILED)


def save_settings(
    session: Session, members: Members, submission: Submission, now: datetime
) -> Done | FormErrors | Refusal:
    """Save a submitted settings form if its submitter is an admin and every field is valid;
    otherwise store nothing and say why, by field."""
    team_id, user_id = submission.team_id, submission.user_id
    if not _is_admin(session, members, team_id, user_id, now):
        log.warning("settings form from %s in %s refused: not an admin", user_id, team_id)
        return Refusal(SettingsRefused.NOT_ADMIN, NOT_ADMIN)
    change = read_submission(submission.values)
    if not isinstance(change, SettingsChange):
        return FormErrors(change)
    _apply(session, team_id, change)
    log.info("workspace %s settings changed by %s", team_id, user_id)
    return Done()


def _is_admin(
    session: Session, members: Members, team_id: str, user_id: str, now: datetime
) -> bool:
    member = members.member(session, team_id, user_id, now)
    return member is not None and member.is_admin


def settings_modal(workspace: Workspace) -> dict[str, Any]:
    """The settings modal for `workspace`, every field prefilled with its current value."""
    blocks: list[dict[str, Any]] = []
    for part in SECTIONS:
        blocks.append(header(part.header))
        blocks += [field.block(workspace) for field in part.fields]
    return {
        "type": "modal",
        "callback_id": CALLBACK,
        "title": plain(TITLE),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "blocks": blocks,
    }


def refused_modal(text: str) -> dict[str, Any]:
    """What the form turns into when a submission is refused (someone not an admin sent it)."""
    return {
        "type": "modal",
        "title": plain(TITLE),
        "close": plain("Close"),
        "blocks": [section(text)],
    }


def read_submission(state_values: Mapping[str, Any]) -> SettingsChange | dict[str, str]:
    """The validated settings in a submitted form, or a message per invalid field by block id."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in FIELDS:
        try:
            values[field.name] = field.read(state_values)
        except Invalid as problem:
            errors[field.name] = str(problem)
    _check_together(values, errors)
    return errors or SettingsChange(**values)


def _check_together(values: Mapping[str, Any], errors: dict[str, str]) -> None:
    # Only fields that were valid on their own are compared, so no error is about a value that
    # was refused; a field failing a comparison is still compared with the next one.
    invalid = set(errors)

    def comparable(*names: str) -> bool:
        return invalid.isdisjoint(names)

    def fail(name: str, message: str) -> None:
        # The first problem found in a field is the one worth showing.
        errors.setdefault(name, message)

    if comparable("work_start_hour", "work_end_hour"):
        start = values["work_start_hour"]
        if values["work_end_hour"] <= start:
            fail(
                "work_end_hour",
                f"The working day must end after it starts ({start:02d}:00): pick a later hour.",
            )
    rounds = ("nudge_first_hours", "nudge_second_hours", "nudge_last_hours")
    for before, after in pairwise(rounds):
        if comparable(before, after) and values[after] <= values[before]:
            fail(
                after,
                f"Must be more than the nudge before it ({values[before]} hours): "
                "each nudge comes later than the one before.",
            )
    if (
        comparable("kudos_reply_mode", "kudos_channel_id")
        and values["kudos_reply_mode"] != "channel"
        and values["kudos_channel_id"] is None
    ):
        fail(
            "kudos_channel_id",
            "Pick a kudos channel, or post kudos only in the channel where they were given.",
        )


def _apply(session: Session, team_id: str, change: SettingsChange) -> None:
    """Write every value of `change` to workspace `team_id`, in the caller's transaction."""
    workspace = session.get_one(Workspace, team_id)
    for name, value in change.values.items():
        # JSON columns hold lists; a fresh list also tells SQLAlchemy the column changed.
        setattr(workspace, name, list(value) if isinstance(value, tuple) else value)
