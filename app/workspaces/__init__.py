"""Workspaces: installation identity, activity, and per-workspace settings."""
