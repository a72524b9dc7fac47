"""The load's stand-in pages `users.list` within the caller's workspace, as Slack does."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bench.loadkit.teams import TeamScopedStandIn


def _pages(client: WebClient) -> list[list[str]]:
    """Every page of `users.list` as the directory sync asks for them (limit 200)."""
    pages: list[list[str]] = []
    cursor = ""
    while True:
        page = client.users_list(limit=200, cursor=cursor or None)
        pages.append([u["id"] for u in page["members"]])
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            return pages


def test_a_late_workspace_lists_its_people_in_a_few_calls_of_its_own() -> None:
    with TeamScopedStandIn() as slack:
        for team in range(30):
            team_id = f"TL{team:03d}"
            if team:
                slack.add_team(team_id, f"Load{team}", f"xoxb-{team}", bot_user_id=f"UB{team:03d}")
            for person in range(100):
                slack.add_user(f"U{team:03d}P{person:03d}", f"p{team}-{person}", team_id=team_id)
        last = WebClient(base_url=slack.base_url, token="xoxb-29")
        pages = _pages(last)
        listed = [user for page in pages for user in page]
        assert listed == [f"U029P{n:03d}" for n in range(100)]  # its own, each once, in order
        # One page of half the limit, as the stand-in gives, not ~45 over 3,000 others' people.
        assert len(pages) == 1
        # Still Tier 2 for the workspace: 20 calls in a burst, the 21st refused.
        for _ in range(20 - len(pages)):
            last.users_list(limit=200)
        with pytest.raises(SlackApiError) as refused:
            last.users_list(limit=200)
        assert refused.value.response.status_code == 429


def test_a_cursor_the_stand_in_did_not_issue_is_refused() -> None:
    with TeamScopedStandIn() as slack:
        client = WebClient(base_url=slack.base_url, token="xoxb-test-token")
        with pytest.raises(SlackApiError) as refused:
            client.users_list(limit=2, cursor="not-a-cursor")
        assert refused.value.response["error"] == "invalid_cursor"
