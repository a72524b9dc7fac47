"""Hostile input to the site: whatever the cookie, the query, the path or the form, the answer is
a page (or a redirect), never a 500 and never another person's data."""

from __future__ import annotations

import os
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.server import BotServer
from app.site.cookies import COOKIE
from tests.site.helpers import signed_in_client

FULL = os.environ.get("HOSTILE_FULL", "").strip() == "1"
SAMPLE = settings(
    max_examples=1000 if FULL else 60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Header values httpx will send: printable ASCII without ; or , (which would split the cookie).
COOKIE_TEXT = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters=';,\\"'),
    max_size=120,
)
ANY_TEXT = st.text(max_size=200)
PATHS = ("/insights", "/insights/network", "/insights/topics", "/insights/people")


@SAMPLE
@given(cookie=COOKIE_TEXT, path=st.sampled_from(PATHS))
def test_any_cookie_is_a_401_page(site_bot: BotServer, cookie: str, path: str) -> None:
    response = httpx.get(f"{site_bot.url}{path}", cookies={COOKIE: cookie})
    assert response.status_code == 401
    assert "Signed in as" not in response.text


@SAMPLE
@given(weeks=ANY_TEXT, table=ANY_TEXT, path=st.sampled_from(PATHS))
def test_any_query_or_table_is_answered_plainly(
    site_bot: BotServer, weeks: str, table: str, path: str
) -> None:
    with signed_in_client(site_bot, "U0ALICE") as client:
        page = client.get(path, params={"weeks": weeks, "team_id": "T0002"})
        export = client.get(f"/insights/export/{quote(table, safe='')}.csv")
    assert page.status_code == 200
    assert export.status_code in (200, 404)
    assert "Traceback" not in page.text + export.text


@SAMPLE
@given(
    body=st.binary(max_size=600),
    content_type=st.sampled_from(
        ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain", ""]
    ),
)
def test_any_sign_in_or_sign_out_body_is_refused_plainly(
    site_bot: BotServer, body: bytes, content_type: str
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    for path in ("/insights/signin", "/insights/signout"):
        response = httpx.post(f"{site_bot.url}{path}", content=body, headers=headers)
        assert response.status_code in (400, 401, 404), (path, response.status_code)
        assert "set-cookie" not in response.headers or path.endswith("signout")
