"""Asks: specific requests for help, tracked through their thread to an answer and credit."""
