"""Offers: what people volunteer to help with, and the directory of who knows what."""
