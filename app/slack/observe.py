"""Watching every request Slack sends: its ack time and outcome on /metrics, one log line each.

Bolt's synchronous dispatcher runs the listener only after every global middleware has returned
(its `next()` merely sets a flag), so no middleware can see a listener finish: the timing wraps
`App.dispatch` instead, from arrival (signature check and authorization included) to the ack,
which with `process_before_response` is the listener's completion. A global middleware marks the
requests that passed those checks, and listeners `report` how they answered.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Literal

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from app.runtime import Runtime

log = logging.getLogger(__name__)

Outcome = Literal["ok", "refused", "error", "form"]
Observer = Callable[[BoltRequest, BoltResponse, float], None]

# Keys in Bolt's per-request context; namespaced so no Bolt key is ever shadowed.
_OUTCOME = "reciprocity_outcome"
_ADMITTED = "reciprocity_admitted"

_KINDS = {
    "block_actions": "action",
    "block_suggestion": "action",
    "view_submission": "view",
    "view_closed": "view",
    "shortcut": "shortcut",
    "message_action": "shortcut",
    "event_callback": "event",
}


def report(context: BoltContext, outcome: Outcome) -> None:
    """Record how this request was answered (a refusal, a form opened…) for metrics and logs."""
    context[_OUTCOME] = outcome


class Admit(Middleware):
    """Global middleware: mark the request as past signature verification and authorization.

    A `Middleware` instance, not a function: Bolt builds every injectable argument (two dozen
    context helpers and payload views) for each function middleware on each request, which cost
    more than this middleware's work.
    """

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        """Mark `req` admitted and go on."""
        req.context[_ADMITTED] = True
        return next()


class ObservedApp(App):
    """Bolt's App, timing each request from arrival to ack and handing it to `observe`, in
    HTTP and Socket Mode alike (both call `dispatch`)."""

    observe: Observer | None = None

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        """Handle `req` as Bolt does, then record what happened."""
        started = time.perf_counter()
        response = super().dispatch(req)
        if self.observe is not None:
            try:
                self.observe(req, response, time.perf_counter() - started)
            except Exception:
                # Bookkeeping must never cost Slack its answer.
                log.exception("recording a request failed")
        return response


def observer(runtime: Runtime) -> Observer:
    """Return the function that puts one handled request on `runtime`'s metrics and in the log."""

    def observe(req: BoltRequest, response: BoltResponse, seconds: float) -> None:
        body: Mapping[str, Any] = req.body if isinstance(req.body, dict) else {}
        context = req.context
        latency_ms = round(seconds * 1000, 1)
        kind = kind_of(body)
        if not context.get(_ADMITTED):
            # A bad signature, another workspace, or Slack's URL and SSL checks (kind "other"):
            # no listener saw it and nothing in it is vouched for, so only the fact is logged.
            rejected = response.status >= 400 or kind != "other"
            log.info(
                "answered a request no listener saw",
                extra={
                    "kind": kind,
                    "outcome": "rejected" if rejected else "ok",
                    "latency_ms": latency_ms,
                },
            )
            return
        what = subject_of(body)
        outcome = str(context.get(_OUTCOME) or ("error" if response.status >= 400 else "ok"))
        runtime.metrics.observe_request(kind, what, outcome, seconds)
        if not log.isEnabledFor(logging.INFO):
            # Operators who turned the line off should not pay for building it on every ack.
            return
        # One line per request: who and what, never the text people typed or any token.
        fields: dict[str, object] = {
            "workspace": context.team_id,
            "user": context.user_id,
            "kind": kind,
            "command": what,
            "outcome": outcome,
            "latency_ms": latency_ms,
        }
        if context.enterprise_id:
            fields["enterprise"] = context.enterprise_id
        log.info("handled %s %s", kind, what, extra=fields)

    return observe


def kind_of(body: Mapping[str, Any]) -> str:
    """The kind of request `body` is: command, action, view, shortcut, event or other."""
    if "command" in body:
        return "command"
    return _KINDS.get(str(body.get("type") or ""), "other")


def subject_of(body: Mapping[str, Any]) -> str:
    """What a request was about: the command, action id, callback id or event type."""
    if "command" in body:
        subject = body["command"]
    elif isinstance(actions := body.get("actions"), list) and actions:
        subject = actions[0].get("action_id") if isinstance(actions[0], dict) else None
    elif isinstance(view := body.get("view"), dict) and view.get("callback_id"):
        subject = view["callback_id"]
    elif body.get("callback_id"):
        subject = body["callback_id"]
    elif isinstance(event := body.get("event"), dict):
        subject = event.get("type")
    else:
        subject = body.get("type")
    # Our own ids and Slack's type names are short; a cap keeps a log line a line.
    return str(subject or "unknown")[:64]
