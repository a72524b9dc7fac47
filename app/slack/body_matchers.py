"""Listener matching that reads the request's body alone.

Bolt offers a request to its listeners one after another, in the order they were registered,
until one matches; each listener's built-in matcher (`app.event("message")`, `app.command(…)`)
is a function of the body, but Bolt first builds every argument a listener could ask for (two
dozen payload views and context helpers) to call it. An event, registered last, went through
some forty of those builds before its own listener (a third of its dispatch's CPU,
bench/README.md). `BodyMatchingApp` registers each built-in matcher so that it is called with
the body directly: the same functions, the same answers, without the builds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.listener_matcher import ListenerMatcher
from slack_bolt.listener_matcher.builtins import BuiltinListenerMatcher


class BodyMatcher(ListenerMatcher):
    """A built-in matcher's function, called with the request's body alone."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func

    def matches(self, req: BoltRequest, resp: BoltResponse) -> bool:
        """Whether the listener takes `req`, as the built-in matcher would say."""
        return bool(self.func(req.body))


class BodyMatchingApp(App):
    """Bolt's App, its listeners' built-in matchers called with the body alone."""

    def _register_listener(
        self,
        functions: Sequence[Callable[..., BoltResponse | None]],
        primary_matcher: ListenerMatcher,
        *args: Any,
        **kwargs: Any,
    ) -> Callable[..., BoltResponse | None] | None:
        # Every built-in matcher's function takes `body` alone; another shape stays Bolt's.
        if type(primary_matcher) is BuiltinListenerMatcher and primary_matcher.arg_names == [
            "body"
        ]:
            primary_matcher = BodyMatcher(primary_matcher.func)
        return super()._register_listener(functions, primary_matcher, *args, **kwargs)
