"""The app's Home tab: a person's asks, asks they could help with, their offers, their kudos."""
