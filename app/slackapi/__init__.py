"""Slack without Bolt: payload types, the Web API client, mrkdwn and Block Kit helpers."""
