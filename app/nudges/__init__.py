"""Following up asks nobody answered: nudge rounds in working hours, follow-ups, fresh offers."""
