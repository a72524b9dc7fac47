"""Kudos: public thanks, its guards, its messages and its numbers."""
