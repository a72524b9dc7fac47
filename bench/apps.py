"""Baseline Slack apps for the benchmarks, each served in its own process.

`python -m bench.apps KIND --port P` serves a `/kudos` command that only acks:
- `bolt-dev`: a bare Bolt app with its defaults, on Bolt's built-in development server;
- `bolt-default-uvicorn`: the same default Bolt app on our stack (uvicorn + Starlette);
- `ack-only`: the bare Bolt app in the mode we run (`process_before_response=True`), served
  as `reciprocity run` serves the bot (Starlette on uvicorn, same options, start-up objects
  frozen), doing no work: the floor the real `/kudos` is measured against.
"""

from __future__ import annotations

import argparse
import gc
import os
import socket
import tempfile

from slack_bolt import Ack, App
from slack_bolt.authorization import AuthorizeResult

SIGNING_SECRET = "benchsecret123"


def _authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
    return AuthorizeResult(
        enterprise_id=enterprise_id,
        team_id=team_id,
        bot_token="xoxb-bench",
        bot_user_id="UBOT",
        bot_id="BBOT",
    )


def bolt_app(*, process_before_response: bool) -> App:
    """A Bolt app whose `/kudos` listener only acks."""
    app = App(
        signing_secret=SIGNING_SECRET,
        authorize=_authorize,
        process_before_response=process_before_response,
    )

    @app.command("/kudos")
    def ack_only(ack: Ack) -> None:
        ack("ok")

    return app


def serve_on_our_stack(app: App, port: int) -> None:
    """Serve `app` exactly as `reciprocity run` serves the real bot (app/server.py BotServer)."""
    import uvicorn

    from app.quiet_server import QuietServer
    from app.runtime import build_runtime
    from app.settings import Settings
    from app.web import create_web_app

    database = os.path.join(tempfile.mkdtemp(), "bench.db")
    runtime = build_runtime(Settings(database_url=f"sqlite:///{database}"))
    listening = socket.create_server(("127.0.0.1", port))
    server = QuietServer(
        uvicorn.Config(
            create_web_app(runtime, app),
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=10,
            timeout_keep_alive=30,
        )
    )
    gc.collect()
    gc.freeze()
    server.run(sockets=[listening])


def main() -> None:
    """Serve the baseline named on the command line until killed."""
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["bolt-dev", "bolt-default-uvicorn", "ack-only"])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    if args.kind == "bolt-dev":
        bolt_app(process_before_response=False).start(port=args.port)
    elif args.kind == "bolt-default-uvicorn":
        serve_on_our_stack(bolt_app(process_before_response=False), args.port)
    else:
        serve_on_our_stack(bolt_app(process_before_response=True), args.port)


if __name__ == "__main__":
    main()
