"""Persistence: the engine and sessions (`db`), the typed models (`models`), and migrations."""
