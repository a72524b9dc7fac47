"""The digest's "who helped whom": the busiest helpers of the week with their first acts, quoted.

A busy week has thousands of helpers and acts of help, of which the digest lists the first
`LISTED_PEOPLE` helpers and their first `LISTED_HELPS` acts. Everyone is counted from the
week's rows (who thanked or credited whom), but only listed acts are built, have their kudos
text read (one statement by primary key) and are quoted, and only the people their quotes
mention are looked up beyond the week's own.
"""

from __future__ import annotations

import heapq
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from operator import attrgetter
from typing import Literal, NamedTuple

from sqlalchemy import Connection

from app.digest.contents import LISTED_HELPS, LISTED_PEOPLE, Help, HelperLine
from app.digest.quoting import excerpt
from app.digest.week_rows import HelpRow, KudosRow, read_kudos_texts, read_members

_AT = attrgetter("at")
MENTIONED = re.compile(r"<@([UW][A-Z0-9]{1,20})")


class Act(NamedTuple):
    """An act of help before it is quoted: credit on an ask or a kudos, and its text."""

    kind: Literal["ask", "kudos"]
    helper_id: str
    other_id: str
    body: str
    private: bool
    at: datetime
    channel_id: str


def helper_lines(
    connection: Connection,
    team_id: str,
    kudos: Sequence[KudosRow],
    helped: Sequence[HelpRow],
    names: Mapping[str, str],
) -> tuple[tuple[HelperLine, ...], int]:
    """The first `LISTED_PEOPLE` people who helped, busiest first (then by name), each with
    their first `LISTED_HELPS` acts oldest first and how many more; and how many more people
    helped. `names` names everyone in `kudos` and `helped`."""
    count = Counter(h.helper_id for h in helped)
    count.update(k.recipient_id for k in kudos)
    lower = {user: names.get(user, user).lower() for user in count}
    listed = heapq.nsmallest(LISTED_PEOPLE, count, key=lambda u: (-count[u], lower[u], u))
    acts = _first_acts(connection, listed, kudos, helped)
    quoting = _with_mentioned(connection, team_id, acts, names)
    lines = tuple(
        HelperLine(
            user,
            names.get(user, user),
            tuple(_help(act, quoting) for act in theirs),
            count[user] - len(theirs),
        )
        for user, theirs in acts.items()
    )
    return lines, len(count) - len(lines)


def _first_acts(
    connection: Connection,
    listed: Sequence[str],
    kudos: Sequence[KudosRow],
    helped: Sequence[HelpRow],
) -> dict[str, list[Act]]:
    """Each of `listed`'s first `LISTED_HELPS` acts: credit and kudos merged by time, credit
    first at equal times (the order the digest always had).

    Both `kudos` and `helped` are read oldest first, so a person's first acts are among their
    first `LISTED_HELPS` of each: only those kudos have their text read.
    """
    credits: dict[str, list[Act]] = {user: [] for user in listed}
    thanks: dict[str, list[KudosRow]] = {user: [] for user in listed}
    for h in helped:
        theirs = credits.get(h.helper_id)
        if theirs is not None and len(theirs) < LISTED_HELPS:
            act = Act("ask", h.helper_id, h.asker_id, h.text, h.private, h.at, h.origin_channel_id)
            theirs.append(act)
    for k in kudos:
        mine = thanks.get(k.recipient_id)
        if mine is not None and len(mine) < LISTED_HELPS:
            mine.append(k)
    texts = read_kudos_texts(connection, {k.kudos_id for rows in thanks.values() for k in rows})
    acts: dict[str, list[Act]] = {}
    for user in listed:
        theirs = list(credits[user])
        for k in thanks[user]:
            # Absent only if erased since the week was read (`reciprocity forget`): not quoted.
            if (text := texts.get(k.kudos_id)) is not None:
                theirs.append(
                    Act(
                        "kudos", user, k.giver_id, text.message, k.private, text.at, text.channel_id
                    )
                )
        # A stable sort: equal times keep credit before kudos, each in the order read.
        acts[user] = sorted(theirs, key=_AT)[:LISTED_HELPS]
    return acts


def _with_mentioned(
    connection: Connection,
    team_id: str,
    acts: Mapping[str, Sequence[Act]],
    names: Mapping[str, str],
) -> Mapping[str, str]:
    """`names`, and the names of anyone else the listed public acts mention (read in one
    statement, only when there is someone)."""
    mentioned = {
        user
        for theirs in acts.values()
        for act in theirs
        if not act.private
        for user in MENTIONED.findall(act.body)
    }
    missing = mentioned - names.keys()
    if not missing:
        return names
    return {**names, **read_members(connection, team_id, missing).names}


def _help(act: Act, names: Mapping[str, str]) -> Help:
    """One listed act of help, its text quoted unless it was private."""
    quote = None if act.private else excerpt(act.body, names)
    other = names.get(act.other_id, act.other_id)
    return Help(
        act.kind, act.helper_id, act.other_id, other, quote, act.private, act.at, (act.channel_id,)
    )
