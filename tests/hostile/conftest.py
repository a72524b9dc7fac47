"""Hostile-input tests run over signed HTTP: signatures and raw bodies are HTTP matters."""

from __future__ import annotations

import pytest


@pytest.fixture
def slack_mode() -> str:
    """Raw bodies and forged signatures exist only over HTTP."""
    return "http"
