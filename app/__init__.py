"""Reciprocity: a Slack bot for giving back at work."""
