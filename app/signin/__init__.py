"""Sign-in to the insights page, bound to a Slack identity: one-time links and web sessions.

Bolt-free and web-free: plain functions over a `Session` and `now`. `app.site` turns them into
pages and cookies; `/kudos insights` and the App Home hand the links out.
"""
