"""The insights web site: sign-in, sessions and the pages under /insights (server-rendered HTML).

Starlette routes over `app.insights`' values and `app.signin`'s links and sessions. Pages are drawn
by pure functions of model values (`views`, `sparkline`) through Jinja2 templates; every request
re-checks the signed-in member and reads only the session's own workspace.
"""
