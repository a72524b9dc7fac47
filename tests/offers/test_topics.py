"""Topic normalisation: case, plurals, hashtags and the synonyms table."""

from __future__ import annotations

import pytest

from app.offers.topics import normalize


@pytest.mark.parametrize(
    ("typed", "topic"),
    [
        ("Kubernetes", "kubernetes"),
        ("k8s", "kubernetes"),
        ("#K8s", "kubernetes"),
        ("  Postgres ", "postgresql"),
        ("databases", "database"),
        ("Queries", "query"),
        ("code   reviews", "code review"),
        ("analytics", "analytics"),
        ("AWS", "aws"),
        ("classes", "class"),
        ("ML", "machine learning"),
        ("", ""),
    ],
)
def test_normalize(typed: str, topic: str) -> None:
    assert normalize(typed) == topic
