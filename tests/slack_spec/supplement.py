"""What Slack's method pages document and the OpenAPI spec (methods.json, October 2020) lacks.

Every entry maps an argument name or error code to the page that documents it. The spec
predates message metadata, token rotation, Socket Mode and several error codes, and gives the
`views.*` and `oauth.v2.access` methods no error list at all. Entries were checked against the
method pages as mirrored on 2026-08-20 by slack-ruby/slack-api-ref (scraped from docs.slack.dev),
or name the bug report where Slack's staff describe an undocumented answer.
"""

from __future__ import annotations

from types import MappingProxyType

_PAGE = "https://api.slack.com/methods/{method}"
# A page that answers for a method: its own Errors section.
ERRORS_PAGE = _PAGE + "#errors"
ARGS_PAGE = _PAGE + "#args"

# Errors any of these methods can answer: each method's page lists them (or its common section).
EVERY_METHOD_ERRORS = MappingProxyType(
    {
        # HTTP 429 with Retry-After; "ratelimited" is also listed on each method page.
        "ratelimited": "https://api.slack.com/docs/rate-limits",
        # "It's possible some aspect of the operation succeeded before the error was raised."
        "fatal_error": ERRORS_PAGE,
        # Same caveat; listed on auth.test's and apps.connections.open's pages and the older
        # pages of every chat.* method (SLACK-NOTES: ambiguous answers).
        "internal_error": "https://api.slack.com/methods/auth.test#errors",
        "service_unavailable": ERRORS_PAGE,
        "not_authed": ERRORS_PAGE,
        # The spec lists it for most methods; the views.* pages listed it until 2025.
        "invalid_auth": "https://api.slack.com/methods/views.open#errors",
        "account_inactive": ERRORS_PAGE,
        "token_revoked": ERRORS_PAGE,
        # A rotating token past its `expires_in` (12 hours): every call is refused.
        "token_expired": "https://api.slack.com/authentication/rotation",
        # Every method page lists it: the token lacks the scope the method needs (an install
        # that predates a scope the app now asks for, such as channels:join).
        "missing_scope": ERRORS_PAGE,
    }
)

# Arguments any of these methods accepts.
EVERY_METHOD_ARGS = MappingProxyType(
    {
        # Org-wide apps name the workspace on every call. Bolt's per-request client sets it
        # (slack_bolt/app/app.py `_init_context`: `WebClient(team_id=req.context.team_id)`), and
        # slack-sdk then sends it with every method (`default_params`).
        "team_id": "https://api.slack.com/enterprise/org-ready-apps",
    }
)

# Methods newer than the spec (files.uploadV2's steps, 2024), from their pages.
ADDED_METHODS = MappingProxyType(
    {
        "files.getUploadURLExternal": _PAGE.format(method="files.getUploadURLExternal"),
        "files.completeUploadExternal": _PAGE.format(method="files.completeUploadExternal"),
    }
)

# Per method: arguments and errors its page documents beyond the spec.
ADDED_ARGS = MappingProxyType(
    {
        "chat.postMessage": {"metadata": ARGS_PAGE},
        "chat.postEphemeral": {"metadata": ARGS_PAGE},
        "chat.update": {"metadata": ARGS_PAGE},
        "conversations.history": {"include_all_metadata": ARGS_PAGE},
        "conversations.replies": {"include_all_metadata": ARGS_PAGE},
        "users.list": {"team_id": ARGS_PAGE},
        # Token rotation (https://api.slack.com/authentication/rotation).
        "oauth.v2.access": {"grant_type": ARGS_PAGE, "refresh_token": ARGS_PAGE},
        # Not in the spec at all: it takes only the app-level token.
        "apps.connections.open": {"token": ARGS_PAGE},
        # Sign in with Slack (2021) is newer than the spec; its page lists these.
        "openid.connect.token": {
            "client_id": ARGS_PAGE,
            "client_secret": ARGS_PAGE,
            "code": ARGS_PAGE,
            "redirect_uri": ARGS_PAGE,
            "grant_type": ARGS_PAGE,
            "refresh_token": ARGS_PAGE,
        },
        # The upload methods postdate the spec (files.uploadV2, 2024); their pages' arguments.
        "files.getUploadURLExternal": {
            "filename": ARGS_PAGE,
            "length": ARGS_PAGE,
            "alt_txt": ARGS_PAGE,
            "snippet_type": ARGS_PAGE,
        },
        "files.completeUploadExternal": {
            "files": ARGS_PAGE,
            "channel_id": ARGS_PAGE,
            # slack-sdk's files_upload_v2 sends it; Slack added it in 2025 (java-slack-sdk#1427).
            "channels": "https://github.com/slackapi/java-slack-sdk/pull/1427",
            "initial_comment": ARGS_PAGE,
            "thread_ts": ARGS_PAGE,
        },
    }
)

CANNOT_DM_BOT = (
    # Undocumented; Slack support, quoted in HubSpot/slack-client#90: "a dm between two bots can
    # not exist" (conversations.open / chat.postMessage to a bot user with a bot token).
    "https://github.com/HubSpot/slack-client/pull/90"
)

CODE_ALREADY_USED = (
    # Undocumented on the method pages; Slack's answer to a code exchanged a second time, as
    # reported against oauth.access (kmrshntr/omniauth-slack#54) and Sign in with Slack
    # (arjunattam/vscode-chat#76), and explained by a maintainer in outline/outline#1239.
    "https://github.com/outline/outline/issues/1239"
)

ADDED_ERRORS = MappingProxyType(
    {
        "chat.postMessage": {"invalid_blocks": ERRORS_PAGE, "cannot_dm_bot": CANNOT_DM_BOT},
        "chat.postEphemeral": {"invalid_blocks": ERRORS_PAGE},
        "chat.update": {"invalid_blocks": ERRORS_PAGE, "msg_too_long": ERRORS_PAGE},
        "conversations.open": {"cannot_dm_bot": CANNOT_DM_BOT},
        "conversations.history": {"not_in_channel": ERRORS_PAGE, "invalid_cursor": ERRORS_PAGE},
        "conversations.replies": {
            "invalid_cursor": ERRORS_PAGE,
            "invalid_ts_latest": ERRORS_PAGE,
            "invalid_ts_oldest": ERRORS_PAGE,
            # Not on the replies page; the stand-in answers it as conversations.history does,
            # since a bot outside a public channel reads neither (SLACK-NOTES, Events need
            # membership). Listed here so the check does not hide the choice.
            "not_in_channel": "https://api.slack.com/methods/conversations.history#errors",
        },
        "views.open": {
            "expired_trigger_id": ERRORS_PAGE,
            "invalid_trigger_id": ERRORS_PAGE,
            "exchanged_trigger_id": ERRORS_PAGE,
            "view_too_large": ERRORS_PAGE,
            # Listed until the 2025 docs move; still the answer for a malformed view.
            "invalid_arguments": ERRORS_PAGE,
        },
        "views.update": {
            "not_found": ERRORS_PAGE,
            "hash_conflict": ERRORS_PAGE,
            "view_too_large": ERRORS_PAGE,
            "invalid_arguments": ERRORS_PAGE,
        },
        "views.publish": {
            "hash_conflict": ERRORS_PAGE,
            "not_enabled": ERRORS_PAGE,
            "view_too_large": ERRORS_PAGE,
            # The page's example error answer: invalid_arguments, messages ["invalid `user_id`"].
            "invalid_arguments": ERRORS_PAGE,
        },
        "reactions.add": {"channel_not_found": ERRORS_PAGE, "is_archived": ERRORS_PAGE},
        "oauth.v2.access": {
            "invalid_client_id": ERRORS_PAGE,
            "bad_client_secret": ERRORS_PAGE,
            "invalid_code": ERRORS_PAGE,
            "bad_redirect_uri": ERRORS_PAGE,
            "invalid_grant_type": ERRORS_PAGE,
            "invalid_refresh_token": ERRORS_PAGE,
        },
        "apps.connections.open": {"not_allowed_token_type": ERRORS_PAGE},
        "openid.connect.token": {
            "invalid_client_id": ERRORS_PAGE,
            "bad_client_secret": ERRORS_PAGE,
            "invalid_code": ERRORS_PAGE,
            "bad_redirect_uri": ERRORS_PAGE,
            "invalid_grant_type": ERRORS_PAGE,
            "invalid_refresh_token": ERRORS_PAGE,
            "code_already_used": CODE_ALREADY_USED,
        },
        "openid.connect.userInfo": {
            "not_allowed_token_type": ERRORS_PAGE,
            "token_expired": ERRORS_PAGE,
            "access_denied": ERRORS_PAGE,
        },
        "files.getUploadURLExternal": {
            "invalid_arguments": ERRORS_PAGE,
            "missing_argument": ERRORS_PAGE,
            "alt_txt_too_large": ERRORS_PAGE,
            "file_uploads_disabled": ERRORS_PAGE,
            "storage_limit_reached": ERRORS_PAGE,
        },
        "files.completeUploadExternal": {
            "invalid_arguments": ERRORS_PAGE,
            "invalid_channel": ERRORS_PAGE,
            "file_not_found": ERRORS_PAGE,
            "posting_to_channel_denied": ERRORS_PAGE,
            # Not on the page: sharing needs membership even of a public channel, as reported
            # in getnao/nao#1372 (chat:write.public does not reach file shares).
            "not_in_channel": "https://github.com/getnao/nao/issues/1372",
        },
    }
)
