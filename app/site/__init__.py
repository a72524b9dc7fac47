"""The insights web site: sign-in, sessions and the pages under /insights (server-rendered HTML).

Starlette routes over `app.insights`' values and `app.signin`'s links and sessions. Pages are drawn
by plain functions of model values (`insight_pages`, `overview_view`, `network_view`,
`sparkline`) through Jinja2 templates; every request re-checks the signed-in member and reads only
the session's own workspace. Sign in with Slack's two routes live in `oidc_routes`.
"""
