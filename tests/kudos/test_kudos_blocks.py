"""Every kudos message and form stays within Slack's Block Kit limits, as slack_sdk's models
check them (the renderers build plain dicts: see app/slackapi/blockkit.py)."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from app.kudos import blocks

LONG = "x" * 5000

MESSAGES = {
    "post": blocks.recognition_post("U1", ["U2", "U3", "U4"], LONG, ["craft"] * 20, 7),
    "note": blocks.recipient_note("U1", LONG, "command", link="https://example.com"),
    "reaction note": blocks.recipient_note("U1", LONG, "reaction", link=None),
    "withdrawn post": blocks.withdrawn_post(7, revoked=True),
    "withdrawn note": blocks.withdrawn_note("U1", 7, revoked=False),
    "confirmation": blocks.confirmation(7, ["U2"] * 10, 3, not_here=True),
}


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_each_message_is_valid_block_kit(name: str) -> None:
    message: dict[str, Any] = MESSAGES[name]
    assert message["text"]
    for block in message["blocks"]:
        model = Block.parse(block)
        assert model is not None
        model.validate_json()
        assert model.to_dict() == block


def test_the_form_is_a_valid_view_however_many_values() -> None:
    form = blocks.modal(
        values=[f"value-{n}" * 10 for n in range(150)],
        private_metadata={"channel_id": "C1", "in_dm": False},
        recipients=("U1",),
        message="thanks",
    )
    view = View(**form)
    view.validate_json()
    assert view.to_dict() == form
