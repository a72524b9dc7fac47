"""Storing a checked kudos and queuing what it owes: the recognition post and a note to each
person thanked, all in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, func, insert, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from app.delivery import outbox
from app.delivery.joins import join_first
from app.delivery.privacy import unless_private
from app.kudos import blocks
from app.kudos.request import KudosRequest
from app.kudos.rules import Checked, Rules
from app.slackapi.payloads import Conversation
from app.store import core
from app.store.direct import DirectStatement
from app.store.models import Kudos, KudosRecipient

# Built once, on the tables rather than the classes: the ack path writes through Core (see
# `record`), and a statement reused as it is skips SQLAlchemy's per-call construction.
_KUDOS = Kudos.metadata.tables[Kudos.__tablename__]
_RECIPIENTS = Kudos.metadata.tables[KudosRecipient.__tablename__]
_KUDOS_FIELDS = (
    "team_id",
    "giver_id",
    "channel_id",
    "channel_is_private",
    "message",
    "values",
    "source",
    "created_at",
    "dedupe_key",
)
_RECIPIENT_FIELDS = ("kudos_id", "team_id", "recipient_id", "giver_id")
# SQLite's three statements, run on the driver's cursor (`direct`) as PostgreSQL's one is.
_INSERT_KUDOS = DirectStatement(
    insert(_KUDOS)
    .values({field: bindparam(field) for field in _KUDOS_FIELDS})
    .returning(_KUDOS.c.id)
)
_INSERT_RECIPIENTS = DirectStatement(
    insert(_RECIPIENTS).values({field: bindparam(field) for field in _RECIPIENT_FIELDS})
)


def _insert_all() -> Any:
    """PostgreSQL's one statement for a kudos whose id was drawn ahead (`rules.Known.next_id`),
    its recipients and its outbox rows (`outbox.rows_insert`), for any number of each: the kudos
    and its recipients (a row per name in the `k_recipients` array) are data-modifying CTEs.

    The kudos's values are bound as `k_<column>` (`_bound`): the outbox INSERT would take a
    parameter named after one of its own columns (`id`, `team_id`) as that column's value."""
    new = (
        insert(_KUDOS)
        .values({field: bindparam(f"k_{field}") for field in ("id", *_KUDOS_FIELDS)})
        .returning(_KUDOS.c.id, _KUDOS.c.team_id, _KUDOS.c.giver_id)
        .cte("new_kudos")
    )
    people = (
        func.unnest(bindparam("k_recipients", type_=ARRAY(String)))
        .table_valued("recipient_id")
        .render_derived(name="people")
    )
    rows = select(new.c.id, new.c.team_id, people.c.recipient_id, new.c.giver_id).join_from(
        new, people, true()
    )
    recipients = insert(_RECIPIENTS).from_select(
        ["kudos_id", "team_id", "recipient_id", "giver_id"], rows
    )
    return outbox.rows_insert().add_cte(new, recipients.cte("new_recipients"))


# Three round trips become one on PostgreSQL; SQLite has no data-modifying CTEs. When the
# worker's lane leased rows (`outbox.queue_all`), the insert says which it stored, under which ids.
_INSERT_ALL = DirectStatement(_insert_all())
_INSERT_ALL_LEASED = DirectStatement(_insert_all().returning(*outbox.INSERTED))


@dataclass(frozen=True)
class Recorded:
    """A kudos as `store` stored it: what its post and notes are rendered from."""

    id: int
    team_id: str
    giver_id: str
    recipients: tuple[str, ...]
    channel_id: str
    channel_is_private: bool
    message: str
    values: tuple[str, ...]
    source: str


def post_key(kudos_id: int) -> str:
    """The outbox dedupe key of a kudos's recognition post."""
    return f"kudos:{kudos_id}:post"


def note_key(kudos_id: int, recipient: str) -> str:
    """The outbox dedupe key of the note to `recipient` about a kudos."""
    return f"kudos:{kudos_id}:note:{recipient}"


def store(
    session: Session, request: KudosRequest, checked: Checked, now: datetime, *, last: bool = False
) -> Recorded:
    """Insert the kudos and a row per recipient, and queue its recognition post (where the rules
    say) and a note to each recipient, in the caller's transaction; return what was stored.

    Core statements rather than the unit of work: this runs on every ack, the ORM objects would
    serve nothing after it, and flushing them cost more than all the kudos's other writes. With
    the id `rules.gather` drew (PostgreSQL), it is all one statement; else (SQLite) three.
    `last`: nothing after this writes in the caller's unit of work. Then, when nothing before it
    wrote either, that one statement is the unit's only write and runs by itself (atomic alone):
    the unit sends no BEGIN and no COMMIT (`direct._run`).
    """
    private = request.where.is_private or request.where.is_dm
    row = {
        "team_id": request.team_id,
        "giver_id": request.giver_id,
        "channel_id": request.where.channel_id,
        "channel_is_private": private,
        "message": checked.message,
        "values": list(checked.values),
        "source": request.source,
        "created_at": now,
        "dedupe_key": request.dedupe_key,
    }
    connection = core.connection(session)
    if checked.next_id is not None:
        # `check` refuses a kudos without recipients, so the recipients' CTE writes a row.
        kudos = _recorded(request, checked, private, checked.next_id)
        entries = _messages(checked.rules, kudos, request, now)
        # The notes link to the post: with the workspace's domain known, they go right behind it.
        lane = outbox.leasing_lane(session, entries, domain=checked.rules.domain, followers=True)
        parameters = {
            **_bound({**row, "id": checked.next_id, "recipients": list(checked.recipients)}),
            **outbox.row_parameters(entries),
        }
        if lane is None:
            _INSERT_ALL.execute(connection, parameters, alone=last)
        else:
            lane.inserted(session, _INSERT_ALL_LEASED.rows(connection, parameters, alone=last))
        outbox.note_queued(session, entries)
        return kudos
    kudos_id: int = _INSERT_KUDOS.one(connection, row).id
    _INSERT_RECIPIENTS.execute_many(
        connection,
        [
            {
                "kudos_id": kudos_id,
                "team_id": request.team_id,
                "recipient_id": recipient,
                "giver_id": request.giver_id,
            }
            for recipient in checked.recipients
        ],
    )
    kudos = _recorded(request, checked, private, kudos_id)
    entries = _messages(checked.rules, kudos, request, now)
    outbox.queue_all(session, entries, domain=checked.rules.domain, followers=True)
    return kudos


def _bound(values: dict[str, Any]) -> dict[str, Any]:
    """`values` named as `_INSERT_ALL` binds them."""
    return {f"k_{name}": value for name, value in values.items()}


def _recorded(request: KudosRequest, checked: Checked, private: bool, kudos_id: int) -> Recorded:
    """The kudos `request` as stored under `kudos_id`."""
    return Recorded(
        id=kudos_id,
        team_id=request.team_id,
        giver_id=request.giver_id,
        recipients=checked.recipients,
        channel_id=request.where.channel_id,
        channel_is_private=private,
        message=checked.message,
        values=checked.values,
        source=request.source,
    )


def _post_channels(rules: Rules, kudos: Recorded, where: Conversation) -> list[str]:
    # A reaction thanks quietly; a DM between two people is not ours to post in; private kudos
    # never go to a public channel.
    if kudos.source == "reaction":
        return []
    here = [] if where.is_dm else [kudos.channel_id]
    if kudos.channel_is_private or not rules.kudos_channel_id:
        return here
    elsewhere = [rules.kudos_channel_id] if rules.kudos_channel_id not in here else []
    if rules.reply_mode == "kudos_channel":
        return elsewhere or here
    if rules.reply_mode == "both":
        return here + elsewhere
    return here


def _cross_post_guard(kudos: Recorded, index: int, args: dict[str, Any]) -> dict[str, Any]:
    """Guard a post outside the conversation the kudos was given in against it turning private.

    Checked when sent, as `_post_channels` checks it when given: the first post falls back to the
    conversation itself, a second copy (the kudos channel, beside the original) is not sent.
    """
    if args["channel"] == kudos.channel_id:
        return args
    instead = {**args, "channel": kudos.channel_id} if index == 0 else None
    return unless_private(args, kudos.channel_id, instead)


def _messages(
    rules: Rules, kudos: Recorded, request: KudosRequest, now: datetime
) -> list[dict[str, Any]]:
    """The outbox entries of the kudos's recognition post (where `rules` say) and of a note to
    each recipient."""
    channels = _post_channels(rules, kudos, request.where)
    entries = _posts(kudos, channels, request.response_url, now)
    unlinked = blocks.recipient_note(kudos.giver_id, kudos.message, kudos.source, link=None)
    note = (
        blocks.recipient_note(
            kudos.giver_id, kudos.message, kudos.source, link=outbox.AFTER_PERMALINK
        )
        if channels
        else unlinked
    )
    for recipient in kudos.recipients:
        entries.append(
            outbox.entry(
                team_id=kudos.team_id,
                method="dm",
                args={"user": recipient, **note, "unfurl_links": False},
                dedupe_key=note_key(kudos.id, recipient),
                now=now,
                # The note links to the post, so it waits for the post's ts; without the post it
                # still goes out, unlinked.
                after_key=post_key(kudos.id) if channels else None,
                after_failed_args={"user": recipient, **unlinked} if channels else None,
            )
        )
    return entries


def _posts(
    kudos: Recorded, channels: list[str], response_url: str | None, now: datetime
) -> list[dict[str, Any]]:
    """The outbox entries of the recognition post in each of `channels`, the first one linked."""
    post = blocks.recognition_post(
        kudos.giver_id, kudos.recipients, kudos.message, kudos.values, kudos.id
    )
    notice = outbox.Notice(
        user_id=kudos.giver_id, what="your kudos post", response_url=response_url
    )
    return [
        outbox.entry(
            team_id=kudos.team_id,
            method="chat.postMessage",
            # Joined first, so reactions and replies to the post reach the bot (a private
            # channel cannot be joined: there the post needs the bot invited).
            args=_cross_post_guard(
                kudos, index, join_first({"channel": channel, **post, "unfurl_links": False})
            ),
            dedupe_key=post_key(kudos.id) if index == 0 else f"{post_key(kudos.id)}:{channel}",
            now=now,
            link=outbox.Link("kudos", kudos.id) if index == 0 else None,
            notice=notice,
        )
        for index, channel in enumerate(channels)
    ]
