"""Insights: the aggregates behind the insights web page and the digest's help-network picture.

Readers of the whole domain, like the digest: plain functions over a `Session` that return the
frozen values in `model`, which the web page, the CSV export and the picture all draw from.
"""
