"""Delivery: the outbox (queue in the caller's transaction) and the worker that sends."""
