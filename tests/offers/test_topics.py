"""Topic normalisation: case, plurals, hashtags, hyphens and the synonyms table; older forms."""

from __future__ import annotations

import pytest

from app.offers.topics import normalize, spellings


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
        # One normal form for phrases and tags.
        ("#machine-learning", "machine learning"),
        ("machine_learning", "machine learning"),
        ("Machine Learning", "machine learning"),
        ("#Design-Systems", "design system"),
        ("design systems", "design system"),
        ("CI-CD", "ci/cd"),
        ("#ci", "ci/cd"),
        ("Continuous Integration", "ci/cd"),
        ("on-call", "on call"),
        ("#a-b-testing", "a/b testing"),
        ("A/B testing", "a/b testing"),
        ("unit tests", "unit testing"),
        # Synonyms fold word by word inside a phrase, and the table's spellings.
        ("k8s ingress", "kubernetes ingress"),
        ("Postgres replication", "postgresql replication"),
        ("DB", "database"),
        ("node.js", "node"),
        ("NodeJS", "node"),
        ("ReactJS", "react"),
        ("pandas", "pandas"),
        ("a11y", "accessibility"),
        ("golang", "go"),
    ],
)
def test_normalize(typed: str, topic: str) -> None:
    assert normalize(typed) == topic


def test_normalize_is_idempotent() -> None:
    for typed in ["#Machine-Learning", "k8s ingress", "design systems", "Postgres", "ML ops"]:
        once = normalize(typed)
        assert normalize(once) == once


@pytest.mark.parametrize(
    ("topic", "stored"),
    [
        ("machine learning", "machine-learning"),
        ("machine learning", "machine_learning"),
        ("machine learning", "machine learning"),
        ("pandas", "panda"),
        ("node", "nodej"),
        ("kubernetes ingress", "k8s ingress"),
        ("design system", "design-system"),
    ],
)
def test_spellings_find_offers_saved_in_the_older_form(topic: str, stored: str) -> None:
    assert stored in spellings(topic)
