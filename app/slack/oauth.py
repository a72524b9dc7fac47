"""Multi-workspace installs through Slack's OAuth flow (`/slack/install`, `/slack/oauth_redirect`).

Bolt runs the flow with slack-sdk's installation and state stores over our database. Installing
creates the workspace with default settings, fills its member directory and welcomes the person
who installed it. Authorization comes from the installation store, each result cached by token,
so a request costs no `auth.test` once its workspace has been seen.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.callback_options import CallbackOptions, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from sqlalchemy.exc import SQLAlchemyError

from app.directory.sync import DirectorySync
from app.runtime import Runtime
from app.slack.installations import ForwardingStore, installation_store, state_store
from app.store.db import transaction
from app.workspaces.service import Identity, domain_of, installed

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# Every scope a feature needs; manifest.yml declares the same list (a test keeps them in step).
BOT_SCOPES = [
    "commands",
    "chat:write",
    "chat:write.public",
    # Joining public channels before posting there: Slack sends replies only from member channels.
    "channels:join",
    "im:write",
    "users:read",
    "channels:read",
    "groups:read",
    "channels:history",
    "groups:history",
    # Reading the bot's DMs: after a timed-out DM, look whether Slack posted it before resending.
    "im:history",
    "reactions:read",
    # Group DMs (`group_dm` in the outbox): open one with several people, and read it to find a
    # post whose send timed out before sending it again.
    "mpim:write",
    "mpim:history",
    # The weekly digest's help-network picture: files.getUploadURLExternal, then
    # files.completeUploadExternal shares it in the digest channel.
    "files:write",
]


def oauth_settings(runtime: Runtime, client: WebClient) -> OAuthSettings:
    """Bolt's OAuth settings: our stores, our paths, and what happens after an install."""
    settings = runtime.settings
    assert settings.slack_client_id is not None
    assert settings.slack_client_secret is not None
    store = runtime.installations or installation_store(
        settings.slack_client_id, runtime.engine, settings.token_encryption_keys
    )
    runtime.installations = store

    def succeeded(args: SuccessArgs) -> BoltResponse:
        welcome(runtime, client, args)
        return args.default.success(args)

    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=BOT_SCOPES,
        installation_store=store,
        installation_store_bot_only=True,
        state_store=state_store(runtime.engine),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        callback_options=CallbackOptions(success=succeeded, failure=_failed),
        # The scheduler rotates tokens two hours ahead (app/slack/installations.py); Bolt only
        # steps in at the last minutes, so the two never spend one refresh token twice.
        token_rotation_expiration_minutes=10,
    )


def authorize(
    runtime: Runtime, client: WebClient, store: InstallationStore
) -> InstallationStoreAuthorize:
    """Authorization from the installation store, cached per token (no auth.test per request)."""
    settings = runtime.settings
    return _StoreAuthorize(
        installation_store=store,
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        logger=logging.getLogger("slack_bolt.authorize"),
        bot_only=True,
        cache_enabled=True,
        client=client,
    )


class _StoreAuthorize(InstallationStoreAuthorize):
    """Bolt's store authorization, except that a store that fails raises instead of "not installed".

    Bolt catches any error of `find_bot` and carries on as if the workspace had removed the app: a
    command would get Bolt's "installation no longer available" reply, and an event a 200, so Slack
    would never retry it. Raised, the failure reaches `answer_failure`: a command hears "try again
    shortly", an event gets a 500 and comes back.
    """

    def __init__(self, *, installation_store: InstallationStore, **kwargs: Any) -> None:
        self._failure = threading.local()
        super().__init__(
            installation_store=_FailureNoting(installation_store, self._failure), **kwargs
        )

    def __call__(self, **kwargs: Any) -> AuthorizeResult | None:
        self._failure.error = None
        result = super().__call__(**kwargs)
        error: Exception | None = self._failure.error
        self._failure.error = None
        if result is None and error is not None:
            raise error
        return result


class _FailureNoting(ForwardingStore):
    """`store`, noting in `failure.error` a database error of a lookup before Bolt hides it."""

    def __init__(self, store: InstallationStore, failure: threading.local) -> None:
        super().__init__(store)
        self._failure = failure

    def find_bot(self, **kwargs: Any) -> Bot | None:
        with self._noting():
            return super().find_bot(**kwargs)

    def find_installation(self, **kwargs: Any) -> Installation | None:
        with self._noting():
            return super().find_installation(**kwargs)

    @contextmanager
    def _noting(self) -> Iterator[None]:
        try:
            yield
        except SQLAlchemyError as exc:
            self._failure.error = exc
            raise


def welcome(runtime: Runtime, client: WebClient, args: SuccessArgs) -> None:
    """Create the newly installed workspace, start its directory, and welcome the installer."""
    installation = args.installation
    team_id = str(installation.team_id)
    token = installation.bot_token
    domain = None
    if token:
        try:
            domain = domain_of(str(client.auth_test(token=token).get("url") or ""))
        except Exception:
            log.warning("auth.test after installing %s failed; links will use slack.com", team_id)
    identity = Identity(
        team_id=team_id,
        name=str(installation.team_name or ""),
        bot_user_id=installation.bot_user_id,
        bot_id=installation.bot_id,
        enterprise_id=installation.enterprise_id,
        domain=domain,
    )
    with transaction(runtime.sessions) as session:
        installed(session, identity, installation.user_id, runtime.clock.now())
    threading.Thread(
        target=_sync_directory, args=(runtime, team_id), name="directory-sync", daemon=True
    ).start()
    log.info("installed in workspace %s", team_id)


def _sync_directory(runtime: Runtime, team_id: str) -> None:
    """Fill the new workspace's directory, retrying later until it is complete or we stop."""
    DirectorySync(runtime.lookup, runtime.sessions, runtime.clock, stop=runtime.stopping).run(
        [team_id]
    )


def _failed(args: object) -> BoltResponse:
    from slack_bolt.oauth.callback_options import FailureArgs

    assert isinstance(args, FailureArgs)
    log.warning("an install failed: %s", args.reason)
    return args.default.failure(args)
