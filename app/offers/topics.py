"""Topic names, normalised so that "K8s", "kubernetes" and "#Kubernetes" are one topic."""

from __future__ import annotations

import re

# A small, editable table: the spelling people type → the topic it means.
SYNONYMS: dict[str, str] = {
    "k8s": "kubernetes",
    "kube": "kubernetes",
    "postgres": "postgresql",
    "pg": "postgresql",
    "js": "javascript",
    "ts": "typescript",
    "py": "python",
    "golang": "go",
    "ml": "machine learning",
    "ai": "machine learning",
    "ci": "ci/cd",
    "cd": "ci/cd",
    "ux": "design",
    "ui": "design",
}
# Words whose trailing "s" is not a plural.
_KEEP_S = {
    "kubernetes",
    "postgres",
    "analytics",
    "ops",
    "devops",
    "aws",
    "css",
    "sales",
    "news",
    "statistics",
    "physics",
    "economics",
    "redis",
    "jenkins",
    "ios",
    "macos",
    "dns",
    "https",
    "sass",
    "less",
    "business",
    "access",
    "process",
    "series",
    "status",
    "chaos",
}
_SPACES = re.compile(r"\s+")
MAX_TOPIC = 80


def _singular(word: str) -> str:
    if word in _KEEP_S or len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def normalize(topic: str) -> str:
    """Return the canonical name of `topic` (lowercase, singular, synonyms folded); may be ""."""
    cleaned = _SPACES.sub(" ", topic.strip().lstrip("#").strip().lower())[:MAX_TOPIC]
    if cleaned in SYNONYMS:
        return SYNONYMS[cleaned]
    words = [_singular(word) for word in cleaned.split(" ")]
    joined = " ".join(words)
    return SYNONYMS.get(joined, joined)
