"""The app's Home tab: a person's asks, asks they could help with, their introductions, their
offers, their kudos."""
