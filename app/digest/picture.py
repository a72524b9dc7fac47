"""The digest's help-network picture: the week's who-helped-whom drawn as a PNG and queued as an
upload to the digest channel, after the digest post.

It follows the post in the outbox, so it is shared after it and never without it; if the upload
fails for good, the post stands. Skipped when the workspace turned it off or nobody helped anyone.
Privacy as in the digest: the picture names only people who may be named (see insights.model),
its groups are public channels, and its description lists the broadest helpers, leaving out
people who opted out of rankings.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.delivery.uploads import queue_upload
from app.digest.weeks import Week
from app.insights.model import DRAWN_PEOPLE, HelpNetwork
from app.insights.network import help_network
from app.store.models import Member, Workspace

# How many of the broadest helpers the picture's description names.
DESCRIBED = 3
PICTURE_SUFFIX = ":picture"
MAX_DESCRIPTION = 1000


def queue_picture(
    session: Session,
    workspace: Workspace,
    week: Week,
    channel: str,
    post_key: str,
    now: datetime,
    *,
    so_far: bool = False,
) -> bool:
    """Queue `week`'s help-network PNG for `channel`, to follow the digest post queued under
    `post_key`; return False (queuing nothing) when turned off or the week had no help."""
    if not workspace.digest_picture:
        return False
    network = help_network(session, workspace.team_id, week.start, week.end, most=DRAWN_PEOPLE)
    if not network.links:
        return False
    # Imported here: matplotlib costs half a second to load, which commands that never draw
    # (`reciprocity digest --dry-run`, `nudge`, `migrate`) should not pay.
    from app.insights import picture

    heading = f"Who helped whom, week {week.label}" + (" (so far)" if so_far else "")
    queue_upload(
        session,
        team_id=workspace.team_id,
        channel_id=channel,
        filename=f"help-network-{week.label}.png",
        content=picture.render(network, "png", caption=heading),
        title=heading,
        alt_txt=describe(session, workspace.team_id, network, heading),
        dedupe_key=post_key + PICTURE_SUFFIX,
        now=now,
        after_key=post_key,
    )
    return True


def describe(session: Session, team_id: str, network: HelpNetwork, heading: str) -> str:
    """The picture's description for screen readers: what it shows, in numbers, and the named
    people who helped the most others (no one who opted out of rankings)."""
    people, links = network.people_in_period, network.links_in_period
    text = (
        f"{heading}: a network of {people} {'person' if people == 1 else 'people'} and "
        f"{links} {'link' if links == 1 else 'links'} of help, sized by how many different "
        "people each one helped."
    )
    # The broadest few are enough to find three who did not opt out, in all but odd weeks.
    ranked = sorted(
        (p for p in network.people if p.name and p.helped > 0), key=lambda p: (-p.helped, p.name)
    )[: DESCRIBED * 4]
    if not ranked:
        return text
    team = {p.user_id for p in ranked}
    opted_out = set(
        session.scalars(
            select(Member.user_id).where(
                Member.team_id == team_id,
                Member.user_id.in_(sorted(team)),
                Member.leaderboard_opt_out.is_(True),
            )
        )
    )
    shown = [p for p in ranked if p.user_id not in opted_out][:DESCRIBED]
    if not shown:
        return text
    names = ", ".join(f"{p.name} ({p.helped})" for p in shown)
    # Slack refuses a description over 1,000 characters (alt_txt_too_large).
    return f"{text} Helped the most people: {names}."[:MAX_DESCRIPTION]
