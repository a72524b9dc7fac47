"""`/intro`: introductions with double opt-in, credit to the connector, suggested introductions."""
