"""A reaction's identity and the key of each add of it."""

from __future__ import annotations

from app.kudos.reactions import add_key, identity_of, reaction_key


def test_each_add_has_its_own_key_and_both_lead_back_to_one_identity() -> None:
    identity = reaction_key("U0ALICE", "C0GENERAL", "1700000000.000100")
    first = add_key(identity, "1700000100.000200")
    again = add_key(identity, "1700000900.000300")
    assert first != again
    assert identity_of(first) == identity_of(again) == identity
    # An add Slack sent without event_ts keeps the bare identity.
    assert add_key(identity, "") == identity
    assert identity_of(identity) == identity
