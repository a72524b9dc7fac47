"""Faults during load: a replica killed, PostgreSQL stopped, Slack failing; nothing twice."""
