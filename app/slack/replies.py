"""Answers the listeners share."""

from __future__ import annotations

TRY_AGAIN = (
    ":hourglass: Reciprocity can't reach its database right now, so nothing was saved. "
    "Please try again in a minute."
)
