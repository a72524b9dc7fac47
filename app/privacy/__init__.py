"""What the bot keeps about a person: exporting it, and erasing it."""
