"""The member directory and channel cache the ack path reads instead of calling Slack."""
