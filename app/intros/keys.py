"""The outbox dedupe keys of what an introduction owes: one key per message, so nothing is sent
twice however often a click, a pass or a retry asks for it."""

from __future__ import annotations


def invitation(intro_id: int, user_id: str) -> str:
    """The DM asking `user_id` whether they would like the introduction."""
    return f"intro:{intro_id}:invite:{user_id}"


def invitation_update(intro_id: int, user_id: str, state: str) -> str:
    """The edit of `user_id`'s invitation once it reached `state` (one edit per state)."""
    return f"{invitation(intro_id, user_id)}:{state}"


def group_dm(intro_id: int) -> str:
    """The introduction posted in the group DM of the three."""
    return f"intro:{intro_id}:group"


def connector_note(intro_id: int, state: str) -> str:
    """The note telling the connector the introduction reached `state` (declined, expired)."""
    return f"intro:{intro_id}:connector:{state}"


def follow_up(intro_id: int, user_id: str) -> str:
    """The DM asking `user_id`, two weeks after the introduction, whether it helped."""
    return f"intro:{intro_id}:followup:{user_id}"


def follow_up_answer(intro_id: int, user_id: str, answer: str) -> str:
    """The edit of `user_id`'s follow-up once they answered it (`thanked` or `not_really`)."""
    return f"{follow_up(intro_id, user_id)}:{answer}"


def thanks(intro_id: int, user_id: str) -> str:
    """The kudos `user_id` gave the connector from their follow-up (one per person)."""
    return f"intro:{intro_id}:thanks:{user_id}"
