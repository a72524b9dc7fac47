"""The offline Slack: a Web API stand-in, Slack's payload shapes, and a signed-request driver."""
