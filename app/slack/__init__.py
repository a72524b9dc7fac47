"""Everything that speaks Slack: the Web API client, the Bolt app and its thin listeners."""
