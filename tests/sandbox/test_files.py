"""File uploads in the stand-in, driven by slack-sdk's own `files_upload_v2` where it can be: the
three steps work as on Slack, and each is as strict (scope, arguments, length, file ids, channel
membership, one completion) and can be made to fail."""

from __future__ import annotations

from typing import Any
from urllib.error import HTTPError

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from app.sandbox.scopes import DEFAULT_SCOPES
from app.sandbox.slack_api import SlackStandIn
from tests.conftest import BOT_TOKEN

CHANNEL = "C0PICTURES"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture
def client(slack: SlackStandIn) -> WebClient:
    slack.add_channel(CHANNEL, "pictures", bot_is_member=True)
    return WebClient(base_url=slack.base_url, token=BOT_TOKEN)


def _error(call: Any, **args: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as caught:
        call(**args)
    return dict(caught.value.response.data)  # type: ignore[arg-type]


def _ticket(client: WebClient, length: int = len(PNG)) -> tuple[str, str]:
    answer = client.files_getUploadURLExternal(filename="picture.png", length=length)
    return str(answer["upload_url"]), str(answer["file_id"])


def _shares(slack: SlackStandIn, channel: str = CHANNEL) -> list[dict[str, Any]]:
    return [m for m in slack.channels[channel].messages.values() if m.get("files")]


def test_slack_sdks_upload_v2_shares_the_file_in_the_channel(
    slack: SlackStandIn, client: WebClient
) -> None:
    answer = client.files_upload_v2(
        channel=CHANNEL,
        content=PNG,
        filename="picture.png",
        title="This week",
        alt_txt="Who helped whom",
        initial_comment="Here it is",
    )
    file_id = answer["file"]["id"]
    [shared] = slack.shared_files(CHANNEL)
    assert (shared.id, shared.filename, shared.title) == (file_id, "picture.png", "This week")
    assert (shared.content, shared.alt_txt) == (PNG, "Who helped whom")
    # Its share is a message in the channel's history, as Slack shows it.
    history = client.conversations_history(channel=CHANNEL)
    [message] = [m for m in history["messages"] if m.get("files")]
    assert message["text"] == "Here it is"
    assert message["user"] == "UBOT"
    assert [(f["id"], f["name"], f["size"]) for f in message["files"]] == [
        (file_id, "picture.png", len(PNG))
    ]
    # The bytes went to the stand-in's own server, at the URL the first step gave.
    [upload] = slack.calls_to("upload_url")
    assert upload.args["length"] == len(PNG)


def test_uploading_needs_files_write(slack: SlackStandIn) -> None:
    slack.add_token("xoxb-old", scopes=tuple(s for s in DEFAULT_SCOPES if s != "files:write"))
    old = WebClient(base_url=slack.base_url, token="xoxb-old")
    answer = _error(old.files_getUploadURLExternal, filename="a.png", length=3)
    assert (answer["error"], answer["needed"]) == ("missing_scope", "files:write")
    answer = _error(old.files_completeUploadExternal, files=[{"id": "F1"}], channel_id=CHANNEL)
    assert (answer["error"], answer["needed"]) == ("missing_scope", "files:write")


def test_the_first_step_checks_its_arguments(client: WebClient) -> None:
    assert _error(client.files_getUploadURLExternal, filename="", length=3)["error"] == (
        "invalid_arguments"
    )
    assert _error(client.files_getUploadURLExternal, filename="a.png", length=0)["error"] == (
        "missing_argument"
    )
    long = "x" * 1001
    assert _error(client.files_getUploadURLExternal, filename="a.png", length=3, alt_txt=long) == {
        "ok": False,
        "error": "alt_txt_too_large",
    }


def test_bytes_of_another_length_than_announced_are_refused_and_the_file_never_completes(
    slack: SlackStandIn, client: WebClient
) -> None:
    url, file_id = _ticket(client, length=len(PNG) + 1)
    assert httpx.post(url, content=PNG).status_code == 400
    answer = _error(
        client.files_completeUploadExternal, files=[{"id": file_id}], channel_id=CHANNEL
    )
    assert answer["error"] == "file_not_found"
    assert httpx.post(url + "x", content=PNG).status_code == 404
    assert slack.shared_files() == []


def test_only_known_uploaded_files_complete_and_each_completes_once(
    slack: SlackStandIn, client: WebClient
) -> None:
    unknown = _error(client.files_completeUploadExternal, files=[{"id": "F9"}], channel_id=CHANNEL)
    assert unknown["error"] == "file_not_found"
    url, file_id = _ticket(client)
    not_uploaded = _error(
        client.files_completeUploadExternal, files=[{"id": file_id}], channel_id=CHANNEL
    )
    assert not_uploaded["error"] == "file_not_found"
    assert httpx.post(url, content=PNG).text == f"OK - {len(PNG)}"
    client.files_completeUploadExternal(files=[{"id": file_id, "title": "t"}], channel_id=CHANNEL)
    again = _error(client.files_completeUploadExternal, files=[{"id": file_id}], channel_id=CHANNEL)
    assert again["error"] == "file_not_found"
    assert len(_shares(slack)) == 1
    malformed = _error(client.files_completeUploadExternal, files=[{"title": "no id"}])
    assert malformed["error"] == "invalid_arguments"


def test_sharing_needs_membership_even_of_a_public_channel(
    slack: SlackStandIn, client: WebClient
) -> None:
    slack.add_channel("C0OUTSIDE", "outside")
    slack.add_channel("G0SECRETS", "secrets", is_private=True)
    refusals = {}
    for channel in ("C0OUTSIDE", "G0SECRETS", "C0MISSING1", "U0ALICE", "C1"):
        url, file_id = _ticket(client)
        httpx.post(url, content=PNG)
        answer = _error(
            client.files_completeUploadExternal, files=[{"id": file_id}], channel_id=channel
        )
        refusals[channel] = answer["error"]
    assert refusals == {
        "C0OUTSIDE": "not_in_channel",
        "G0SECRETS": "invalid_channel",
        "C0MISSING1": "invalid_channel",
        # Slack checks the id's shape first: a user id (or a short one) is not a channel id.
        "U0ALICE": "invalid_arguments",
        "C1": "invalid_arguments",
    }
    assert slack.shared_files() == []
    # Refused for the channel, the upload is not spent: joining and trying again shares it.
    client.conversations_join(channel="C0OUTSIDE")
    client.files_completeUploadExternal(files=[{"id": file_id}], channel_id="C0OUTSIDE")
    assert [f.id for f in slack.shared_files("C0OUTSIDE")] == [file_id]


@pytest.mark.parametrize(
    "step", ["files.getUploadURLExternal", "upload_url", "files.completeUploadExternal"]
)
def test_each_step_can_be_made_to_fail(slack: SlackStandIn, client: WebClient, step: str) -> None:
    slack.fail_next(step, status=500)
    # slack-sdk POSTs the bytes with urllib, which raises HTTPError for a 500.
    with pytest.raises((SlackApiError, SlackRequestError, HTTPError)):
        client.files_upload_v2(channel=CHANNEL, content=PNG, filename="picture.png")
    assert slack.shared_files() == []
    client.files_upload_v2(channel=CHANNEL, content=PNG, filename="picture.png")
    assert len(slack.shared_files(CHANNEL)) == 1


def test_a_share_can_take_effect_and_still_answer_500(
    slack: SlackStandIn, client: WebClient
) -> None:
    slack.fail_next("files.completeUploadExternal", status=500, after_effect=True)
    with pytest.raises(SlackApiError):
        client.files_upload_v2(channel=CHANNEL, content=PNG, filename="picture.png")
    assert len(_shares(slack)) == 1
