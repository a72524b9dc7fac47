"""`/kudos settings`: the admin-only settings form over signed HTTP, and reading submissions."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from app.sandbox import payloads
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from app.server import BotServer
from app.store.models import Workspace
from app.workspaces.form_kinds import Number
from app.workspaces.settings_fields import FIELDS
from app.workspaces.settings_form import (
    CALLBACK,
    SettingsChange,
    read_submission,
    settings_modal,
)
from tests.conftest import BOT_TOKEN
from tests.kudos.conftest import configure, reply_text

# -- helpers --------------------------------------------------------------------------------


def _settings_cmd(
    driver: SlackDriver, slack: SlackStandIn, user: str = "U0ALICE", text: str = "settings"
) -> httpx.Response:
    return driver.command(
        command="/kudos",
        text=text,
        user_id=user,
        channel_id="C0GENERAL",
        response_url=slack.new_response_url(),
        trigger_id=slack.issue_trigger_id(),
    )


def _opened_view(driver: SlackDriver, slack: SlackStandIn) -> dict[str, Any]:
    response = _settings_cmd(driver, slack)
    assert response.status_code == 200, response.text
    [opened] = slack.calls_to("views.open")
    assert opened.ok, opened.response
    return dict(opened.args["view"])


def _by_block(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}


def _state_of(element: dict[str, Any]) -> dict[str, Any]:
    """The state Slack submits for an element nobody touched: its initial value."""
    kind = element["type"]
    if kind == "number_input" or kind == "plain_text_input":
        return {"type": kind, "value": element.get("initial_value")}
    if kind == "static_select":
        return {"type": kind, "selected_option": element.get("initial_option")}
    if kind == "checkboxes":
        return {"type": kind, "selected_options": list(element.get("initial_options", []))}
    if kind == "conversations_select":
        return {"type": kind, "selected_conversation": element.get("initial_conversation")}
    raise AssertionError(f"no state for {kind}")


def _values(view: dict[str, Any], **changes: Any) -> dict[str, dict[str, dict[str, Any]]]:
    """The view's state as submitted, with `changes` typed in (Python values, by block id)."""
    values = {}
    for block_id, element in _by_block(view).items():
        state = _state_of(element)
        if block_id in changes:
            state = _typed(element, changes[block_id])
        values[block_id] = {element["action_id"]: state}
    return values


def _typed(element: dict[str, Any], value: Any) -> dict[str, Any]:
    kind = element["type"]
    if kind in ("number_input", "plain_text_input"):
        return {"type": kind, "value": None if value is None else str(value)}
    if kind == "static_select":
        return payloads.static_select_value(str(value))
    if kind == "checkboxes":
        ticked = [o for o in element["options"] if o["value"] in {str(v) for v in value}]
        return {"type": kind, "selected_options": ticked}
    return {"type": kind, "selected_conversation": value}


def _submit(
    driver: SlackDriver, user: str, values: dict[str, Any], private_metadata: str = ""
) -> dict[str, Any]:
    response = driver.interactive(
        payloads.view_submission(
            user_id=user, callback_id=CALLBACK, values=values, private_metadata=private_metadata
        )
    )
    assert response.status_code == 200, response.text
    return response.json() if response.content else {}


def _stored(bot: BotServer) -> dict[str, Any]:
    with bot.runtime.sessions() as session:
        workspace = session.get_one(Workspace, "T0001")
        return {f.name: getattr(workspace, f.name) for f in FIELDS}


# -- over HTTP against the stand-in ---------------------------------------------------------


def test_an_admin_gets_the_form_prefilled_with_the_current_settings(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver
) -> None:
    configure(
        bot,
        digest_channel_id="C0GENERAL",
        digest_weekday=4,
        digest_hour=16,
        timezone="Europe/Berlin",
        digest_when_quiet=False,
        work_days=[0, 2, 4],
        kudos_values=["teamwork", "craft"],
        reaction_emoji=":raised_hands:",
        kudos_reply_mode="both",
        kudos_channel_id="C0GENERAL",
        matches_per_ask=7,
        intro_expiry_days=14,
        intro_suggestions=False,
    )
    view = _opened_view(driver, slack)
    assert view["callback_id"] == "workspace.settings"
    assert len(view["title"]["text"]) <= 24
    assert len(view["blocks"]) <= 100
    headers = [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]
    assert headers == [
        "Weekly digest",
        "Asks",
        "Nudges for unanswered asks",
        "Kudos",
        "Offers",
        "Introductions",
    ]
    element = _by_block(view)
    assert element["digest_channel_id"]["initial_conversation"] == "C0GENERAL"
    assert element["digest_channel_id"]["filter"] == {"include": ["public", "private"]}
    assert "initial_conversation" not in element["asks_channel_id"]
    assert element["digest_weekday"]["initial_option"]["text"]["text"] == "Friday"
    assert element["digest_hour"]["initial_option"]["value"] == "16"
    assert element["timezone"]["initial_value"] == "Europe/Berlin"
    assert "initial_options" not in element["digest_when_quiet"]
    assert [o["value"] for o in element["work_days"]["initial_options"]] == ["0", "2", "4"]
    assert element["matches_per_ask"]["initial_value"] == "7"
    assert (element["matches_per_ask"]["min_value"], element["matches_per_ask"]["max_value"]) == (
        "1",
        "10",
    )
    assert element["matches_per_ask"]["is_decimal_allowed"] is False
    assert element["kudos_values"]["initial_value"] == "teamwork, craft"
    assert element["reaction_emoji"]["initial_value"] == "raised_hands"
    assert element["kudos_reply_mode"]["initial_option"]["value"] == "both"
    assert element["intro_expiry_days"]["initial_value"] == "14"
    assert (
        element["intro_expiry_days"]["min_value"],
        element["intro_expiry_days"]["max_value"],
    ) == (
        "1",
        "60",
    )
    assert element["intro_daily_limit"]["initial_value"] == "5"
    assert "initial_options" not in element["intro_suggestions"]
    # Submitted untouched, the form means exactly what is stored.
    assert read_submission(_values(view)) == SettingsChange(
        **{k: tuple(v) if isinstance(v, list) else v for k, v in _stored(bot).items()}
        | {"reaction_emoji": "raised_hands"}
    )


def test_an_admin_saves_valid_changes(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver
) -> None:
    view = _opened_view(driver, slack)
    values = _values(
        view,
        digest_channel_id="C0GENERAL",
        digest_weekday=6,
        timezone="  America/New_York ",
        digest_when_quiet=[],
        work_days=[1, 3],
        work_start_hour=8,
        work_end_hour=24,
        nudge_first_hours=2,
        nudge_second_hours=10,
        nudge_last_hours=30,
        kudos_reply_mode="kudos_channel",
        kudos_channel_id="C0GENERAL",
        kudos_values="#Teamwork, craft, teamwork",
        reaction_emoji=":tada:",
        kudos_max_length=500,
        share_private_asks=["on"],
        intro_expiry_days=3,
        intro_daily_limit=50,
        intro_suggestions=[],
    )
    assert _submit(driver, "U0ALICE", values) == {}
    stored = _stored(bot)
    assert (
        stored
        | {
            "digest_channel_id": "C0GENERAL",
            "digest_weekday": 6,
            "timezone": "America/New_York",
            "digest_when_quiet": False,
            "work_days": [1, 3],
            "work_start_hour": 8,
            "work_end_hour": 24,
            "nudge_first_hours": 2,
            "nudge_second_hours": 10,
            "nudge_last_hours": 30,
            "kudos_reply_mode": "kudos_channel",
            "kudos_channel_id": "C0GENERAL",
            "kudos_values": ["teamwork", "craft"],
            "reaction_emoji": "tada",
            "kudos_max_length": 500,
            "share_private_asks": True,
            "intro_expiry_days": 3,
            "intro_daily_limit": 50,
            "intro_suggestions": False,
        }
        == stored
    )


def test_clearing_a_channel_stores_none(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver
) -> None:
    configure(bot, asks_channel_id="C0GENERAL")
    view = _opened_view(driver, slack)
    assert _submit(driver, "U0ALICE", _values(view, asks_channel_id=None)) == {}
    assert _stored(bot)["asks_channel_id"] is None


def test_invalid_input_shows_an_error_per_field_and_stores_nothing(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver
) -> None:
    view = _opened_view(driver, slack)
    before = _stored(bot)
    values = _values(
        view,
        timezone="Mars/Olympus",
        matches_per_ask=11,
        nudge_second_hours=3,
        work_start_hour=18,
        work_end_hour=9,
        kudos_reply_mode="kudos_channel",
        kudos_values="teamwork, team spirit",
        reaction_emoji="not an emoji!",
        work_days=[],
        intro_expiry_days=61,
        intro_daily_limit="five",
    )
    answer = _submit(driver, "U0ALICE", values)
    assert answer["response_action"] == "errors"
    errors = answer["errors"]
    assert set(errors) == {
        "timezone",
        "matches_per_ask",
        "nudge_second_hours",
        "work_end_hour",
        "kudos_channel_id",
        "kudos_values",
        "reaction_emoji",
        "work_days",
        "intro_expiry_days",
        "intro_daily_limit",
    }
    assert "IANA time zone such as Europe/Berlin" in errors["timezone"]
    assert "from 1 to 10" in errors["matches_per_ask"]
    assert "team spirit" in errors["kudos_values"]
    assert errors["intro_expiry_days"] == (
        "61 is out of range: enter a whole number of days from 1 to 60."
    )
    assert "“five” is not a whole number" in errors["intro_daily_limit"]
    assert _stored(bot) == before


def test_someone_not_an_admin_is_refused_the_form(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver
) -> None:
    answer = reply_text(_settings_cmd(driver, slack, user="U0BOB"))
    assert answer == "Only workspace admins can change settings; ask one of them."
    assert slack.calls_to("views.open") == []


def test_a_forged_submission_from_someone_not_an_admin_changes_nothing(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver
) -> None:
    view = _opened_view(driver, slack)
    before = _stored(bot)
    values = _values(view, kudos_daily_limit=100, timezone="Asia/Tokyo")
    # private_metadata claiming the admin must not matter: only Slack's `user` counts.
    answer = _submit(driver, "U0BOB", values, private_metadata='{"user_id": "U0ALICE"}')
    assert answer["response_action"] == "update"
    assert "Only workspace admins" in answer["view"]["blocks"][0]["text"]["text"]
    assert _stored(bot) == before


def test_an_admin_missing_from_the_directory_is_looked_up_in_slack(
    bot: BotServer, slack: SlackStandIn, driver: SlackDriver
) -> None:
    # Joined after the start-up sync: only users.info knows this person is an admin.
    slack.add_user("U0ERIN", "erin", is_admin=True)
    response = _settings_cmd(driver, slack, user="U0ERIN")
    assert response.status_code == 200
    assert any(c.args.get("user") == "U0ERIN" for c in slack.calls_to("users.info"))
    [opened] = slack.calls_to("views.open")
    assert opened.ok


def test_help_mentions_settings(bot: BotServer, slack: SlackStandIn, driver: SlackDriver) -> None:
    assert "/kudos settings" in reply_text(_settings_cmd(driver, slack, text="help"))


def test_the_stand_in_refuses_initial_options_slack_would_refuse(slack: SlackStandIn) -> None:
    client = WebClient(base_url=slack.base_url, token=BOT_TOKEN)
    option = {"text": {"type": "plain_text", "text": "Monday"}, "value": "0"}
    other = {"text": {"type": "plain_text", "text": "Tuesday"}, "value": "1"}
    for initial in ([], [other]):
        element = {"type": "checkboxes", "options": [option], "initial_options": initial}
        view = {
            "type": "modal",
            "title": {"type": "plain_text", "text": "x"},
            "blocks": [
                {"type": "input", "label": {"type": "plain_text", "text": "x"}, "element": element}
            ],
        }
        with pytest.raises(SlackApiError) as refused:
            client.views_open(trigger_id=slack.issue_trigger_id(), view=view)
        assert refused.value.response["error"] == "invalid_arguments"


# -- read_submission on its own -------------------------------------------------------------

NUMBERS = {f.name: (f.kind.low, f.kind.high) for f in FIELDS if isinstance(f.kind, Number)}

DEFAULTS: dict[str, Any] = {
    "team_id": "T1",
    "timezone": "UTC",
    "digest_channel_id": None,
    "asks_channel_id": None,
    "kudos_channel_id": None,
    "digest_weekday": 0,
    "digest_hour": 9,
    "digest_when_quiet": True,
    "digest_picture": True,
    "digest_grace_hours": 24,
    "kudos_daily_limit": 5,
    "kudos_max_length": 1000,
    "kudos_reply_mode": "channel",
    "kudos_values": [],
    "reaction_emoji": None,
    "work_days": [0, 1, 2, 3, 4],
    "work_start_hour": 9,
    "work_end_hour": 18,
    "matches_per_ask": 3,
    "expert_daily_cap": 5,
    "share_private_asks": False,
    "nudges_enabled": True,
    "nudge_first_hours": 4,
    "nudge_second_hours": 24,
    "nudge_last_hours": 40,
    "stale_after_days": 3,
    "follow_up_hours": 24,
    "offer_confirm_days": 90,
    "offer_grace_days": 14,
    "intro_expiry_days": 7,
    "intro_daily_limit": 5,
    "intro_suggestions": True,
}


@pytest.fixture
def form() -> dict[str, Any]:
    """The modal drawn for a workspace with the default settings."""
    return settings_modal(Workspace(**DEFAULTS))


def _read(form: dict[str, Any], **changes: Any) -> SettingsChange | dict[str, str]:
    return read_submission(_values(form, **changes))


def _errors(form: dict[str, Any], **changes: Any) -> dict[str, str]:
    result = _read(form, **changes)
    assert isinstance(result, dict), result
    return result


def test_an_untouched_form_reads_back_the_defaults(form: dict[str, Any]) -> None:
    expected = {k: tuple(v) if isinstance(v, list) else v for k, v in DEFAULTS.items()}
    del expected["team_id"]
    assert _read(form) == SettingsChange(**expected)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter a whole number of people from 1 to 10."),
        ("2.5", "“2.5” is not a whole number: enter a whole number of people from 1 to 10."),
        ("many", "“many” is not a whole number"),
        ("0", "0 is out of range: enter a whole number of people from 1 to 10."),
        ("-3", "-3 is out of range"),
        ("11", "11 is out of range"),
        ("99999999999999", "99999999999999 is out of range"),
        ("1" * 19, "is not a whole number"),
    ],
)
def test_numbers_must_be_whole_and_in_range(form: dict[str, Any], typed: str, message: str) -> None:
    assert message in _errors(form, matches_per_ask=typed)["matches_per_ask"]


def test_numbers_at_their_bounds_are_accepted(form: dict[str, Any]) -> None:
    low = {name: bounds[0] for name, bounds in NUMBERS.items() if name.startswith("offer")}
    high = {name: bounds[1] for name, bounds in NUMBERS.items() if name.startswith("kudos")}
    result = _read(form, **low, **high, matches_per_ask=" 10 ")
    assert isinstance(result, SettingsChange)
    assert (result.offer_confirm_days, result.kudos_max_length) == (7, 3000)
    assert result.matches_per_ask == 10


@pytest.mark.parametrize("zone", ["Mars/Olympus", "europe/berlin", "../../etc/passwd", "/etc/x"])
def test_an_unknown_time_zone_is_refused_with_an_example(form: dict[str, Any], zone: str) -> None:
    assert "Use an IANA time zone such as Europe/Berlin" in _errors(form, timezone=zone)["timezone"]


def test_an_empty_time_zone_is_refused(form: dict[str, Any]) -> None:
    assert "Europe/Berlin" in _errors(form, timezone=None)["timezone"]


def test_nudges_must_come_in_order(form: dict[str, Any]) -> None:
    errors = _errors(form, nudge_first_hours=10, nudge_second_hours=10, nudge_last_hours=5)
    assert set(errors) == {"nudge_second_hours", "nudge_last_hours"}
    assert "more than the nudge before it (10 hours)" in errors["nudge_second_hours"]


def test_an_invalid_field_does_not_cause_errors_in_the_fields_compared_with_it(
    form: dict[str, Any],
) -> None:
    assert set(_errors(form, nudge_first_hours="soon")) == {"nudge_first_hours"}


def test_the_working_day_must_end_after_it_starts(form: dict[str, Any]) -> None:
    assert "end after it starts (12:00)" in _errors(form, work_start_hour=12, work_end_hour=12).get(
        "work_end_hour", ""
    )
    assert isinstance(_read(form, work_start_hour=0, work_end_hour=24), SettingsChange)


def test_working_days_need_one_day_and_only_real_ones(form: dict[str, Any]) -> None:
    assert "at least one working day" in _errors(form, work_days=[])["work_days"]
    forged = _values(form)
    forged["work_days"]["value"]["selected_options"] = [{"value": "0"}, {"value": "7"}]
    assert "work_days" in read_submission(forged)


@pytest.mark.parametrize("mode", ["kudos_channel", "both"])
def test_posting_to_a_kudos_channel_needs_one(form: dict[str, Any], mode: str) -> None:
    assert "Pick a kudos channel" in _errors(form, kudos_reply_mode=mode)["kudos_channel_id"]
    chosen = _read(form, kudos_reply_mode=mode, kudos_channel_id="G0SECRET")
    assert isinstance(chosen, SettingsChange)
    assert chosen.kudos_channel_id == "G0SECRET"


def test_a_choice_not_in_the_list_is_refused(form: dict[str, Any]) -> None:
    errors = _errors(form, kudos_reply_mode="everywhere", digest_hour=24, digest_weekday=7)
    assert set(errors) == {"kudos_reply_mode", "digest_hour", "digest_weekday"}


def test_a_forged_channel_id_is_refused(form: dict[str, Any]) -> None:
    assert "Pick a channel" in _errors(form, asks_channel_id="#general")["asks_channel_id"]
    assert "digest_channel_id" in _errors(form, digest_channel_id="D0BOB")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("", ()),
        (" #Teamwork, craft,, teamwork ,", ("teamwork", "craft")),
        ("ship-it, open_source", ("ship-it", "open_source")),
    ],
)
def test_values_are_lowercased_single_words(
    form: dict[str, Any], typed: str, expected: tuple[str, ...]
) -> None:
    result = _read(form, kudos_values=typed)
    assert isinstance(result, SettingsChange)
    assert result.kudos_values == expected


@pytest.mark.parametrize("typed", ["team spirit", "a" * 41, "craft; care", "dot.com"])
def test_values_that_cannot_be_tagged_are_refused(form: dict[str, Any], typed: str) -> None:
    assert "can't be a value" in _errors(form, kudos_values=typed)["kudos_values"]


def test_too_many_values_are_refused(form: dict[str, Any]) -> None:
    many = ", ".join(f"v{i}" for i in range(101))
    assert "at most 100 values" in _errors(form, kudos_values=many)["kudos_values"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("", None), (":Raised_Hands:", "raised_hands"), ("+1", "+1"), ("tada", "tada")],
)
def test_the_reaction_is_an_emoji_name_without_colons(
    form: dict[str, Any], typed: str, expected: str | None
) -> None:
    result = _read(form, reaction_emoji=typed)
    assert isinstance(result, SettingsChange)
    assert result.reaction_emoji == expected


@pytest.mark.parametrize("typed", ["not an emoji!", ":a::b:", "🎉"])
def test_a_reaction_that_is_not_an_emoji_name_is_refused(form: dict[str, Any], typed: str) -> None:
    assert "emoji name" in _errors(form, reaction_emoji=typed)["reaction_emoji"]


def test_unticked_boxes_turn_settings_off(form: dict[str, Any]) -> None:
    result = _read(form, nudges_enabled=[], digest_when_quiet=[], share_private_asks=["on"])
    assert isinstance(result, SettingsChange)
    assert (result.nudges_enabled, result.digest_when_quiet, result.share_private_asks) == (
        False,
        False,
        True,
    )


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("intro_expiry_days", "0", "0 is out of range: enter a whole number of days from 1 to 60."),
        ("intro_expiry_days", "", "Enter a whole number of days from 1 to 60."),
        ("intro_expiry_days", "1.5", "“1.5” is not a whole number"),
        (
            "intro_daily_limit",
            "51",
            "51 is out of range: enter a whole number of introductions from 1 to 50.",
        ),
        ("intro_daily_limit", "0", "0 is out of range"),
    ],
)
def test_introduction_limits_are_checked_beside_their_field(
    form: dict[str, Any], field: str, typed: str, message: str
) -> None:
    errors = _errors(form, **{field: typed})
    assert set(errors) == {field}
    assert message in errors[field]


def test_introduction_settings_at_their_bounds_and_suggestions_off(form: dict[str, Any]) -> None:
    low = _read(form, intro_expiry_days=1, intro_daily_limit=1, intro_suggestions=[])
    assert isinstance(low, SettingsChange)
    assert (low.intro_expiry_days, low.intro_daily_limit, low.intro_suggestions) == (1, 1, False)
    high = _read(form, intro_expiry_days=60, intro_daily_limit=50)
    assert isinstance(high, SettingsChange)
    assert (high.intro_expiry_days, high.intro_daily_limit, high.intro_suggestions) == (
        60,
        50,
        True,
    )
    assert NUMBERS["intro_expiry_days"] == (1, 60)
    assert NUMBERS["intro_daily_limit"] == (1, 50)


def test_a_forged_empty_submission_is_errors_not_a_crash() -> None:
    errors = read_submission({})
    assert isinstance(errors, dict)
    assert {"timezone", "matches_per_ask", "digest_weekday", "work_days"} <= set(errors)
    assert "digest_channel_id" not in errors
