"""The member directory and channel cache: complete syncs against a strict Slack, expiring facts."""
