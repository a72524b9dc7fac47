"""What to tell a person whose message the bot could not deliver, by Slack's error."""

from __future__ import annotations

_ADVICE = {
    "not_in_channel": "I'm not a member of that channel. Invite me with `/invite @Reciprocity` "
    "and try again.",
    "channel_not_found": "I can't see that channel; it may be private. Invite me with "
    "`/invite @Reciprocity` and try again.",
    "is_archived": "That channel is archived. Try again in a channel that is still open.",
    "channel_is_archived": "That channel is archived. Try again in a channel that is still open.",
    "msg_too_long": "The message is too long for Slack. Try a shorter one.",
    "user_not_found": "Slack can't find that person any more.",
    "account_inactive": "That account is deactivated.",
    "cannot_dm_bot": "Bots can't receive direct messages.",
    "user_disabled": "Someone it was for has been deactivated in Slack.",
    "missing_scope": "I don't have the Slack permission it needs: ask a Slack admin to reinstall "
    "Reciprocity, which grants it.",
}
_FALLBACK = (
    "Slack refused it ({error}). Try again, and tell your Slack admin if it keeps happening."
)


_UNSURE = (
    ":warning: I'm not sure I delivered {what}: Slack kept failing ({error}) and I couldn't "
    "check whether it went through. Look for it before you try again."
)


def failure_text(what: str, error: str, *, unsure: bool = False) -> str:
    """Return the one-paragraph explanation for a person that `what` failed with Slack's `error`.

    `unsure`: Slack may have posted it all the same (its last answers were 5xx, `fatal_error` or
    timeouts), so the person is asked to look before trying again, which could post it twice.
    """
    if unsure:
        return _UNSURE.format(what=what, error=error)
    advice = _ADVICE.get(error, _FALLBACK.format(error=error))
    return f":warning: I couldn't deliver {what}. {advice}"
