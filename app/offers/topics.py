"""Topic names in one normal form, so "K8s", "kubernetes" and "#Kubernetes" are one topic.

The normal form is lowercase words separated by single spaces: hyphens and underscores are word
breaks (`#machine-learning`, `machine_learning` and "Machine Learning" are "machine learning"),
each word is singular ("design systems" is "design system"), and the SYNONYMS table folds
spellings into one name, first for the whole phrase ("ML") and then word by word ("k8s ingress"
is "kubernetes ingress").

Topics stored before this form existed kept hyphens, underscores and spellings the table now folds
("machine-learning", "nodejs", "panda"); `spellings` lists those older forms of a topic so queries
still find them until the rows are renormalised.
"""

from __future__ import annotations

import re
from functools import lru_cache

# A small, editable table: the spelling people type → the topic it means. Keys are looked up after
# case, hyphens and plurals are folded, so "Design-Systems" finds "design system".
SYNONYMS: dict[str, str] = {
    "k8s": "kubernetes",
    "kube": "kubernetes",
    "postgres": "postgresql",
    "pg": "postgresql",
    "psql": "postgresql",
    "js": "javascript",
    "ecmascript": "javascript",
    "ts": "typescript",
    "py": "python",
    "python3": "python",
    "golang": "go",
    "ml": "machine learning",
    "ai": "machine learning",
    "ci": "ci/cd",
    "cd": "ci/cd",
    "ci cd": "ci/cd",
    "cicd": "ci/cd",
    "continuous integration": "ci/cd",
    "continuous delivery": "ci/cd",
    "continuous deployment": "ci/cd",
    "ux": "design",
    "ui": "design",
    "db": "database",
    "reactjs": "react",
    "react.js": "react",
    "nodejs": "node",
    "node.js": "node",
    "tf": "terraform",
    "panda": "pandas",
    "amazon web service": "aws",
    "gcp": "google cloud",
    "google cloud platform": "google cloud",
    "a11y": "accessibility",
    "infosec": "security",
    "appsec": "security",
    "oauth2": "oauth",
    "designsystem": "design system",
    "spreadsheet": "excel",
    "budgeting": "budget",
    "sre": "site reliability",
    "llm": "large language model",
    "a b testing": "a/b testing",
    "ab testing": "a/b testing",
    "a/b test": "a/b testing",
    "ab test": "a/b testing",
    "split testing": "a/b testing",
    "unit test": "unit testing",
    "load test": "load testing",
    "oncall": "on call",
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
    "pandas",
}
_SPACES = re.compile(r"\s+")
_BREAKS = re.compile(r"[-_\s]+")
MAX_TOPIC = 80


def _singular(word: str) -> str:
    """`word` without a plural ending (kept when its "s" is not a plural)."""
    if word in _KEEP_S or len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _word(word: str) -> str:
    """One word's normal form: singular, and a one-word synonym folded."""
    folded = SYNONYMS.get(word, word)
    if folded != word and " " not in folded:
        return folded
    single = _singular(word)
    folded = SYNONYMS.get(single, single)
    return folded if " " not in folded else single


@lru_cache(maxsize=8192)
def normalize(topic: str) -> str:
    """Return the canonical name of `topic` (lowercase, singular, synonyms folded); may be ""."""
    cleaned = topic.strip().lstrip("#").strip().lower()[:MAX_TOPIC]
    cleaned = _BREAKS.sub(" ", cleaned).strip()
    if cleaned in SYNONYMS:
        return SYNONYMS[cleaned]
    words = [_singular(word) for word in cleaned.split(" ") if word]
    joined = " ".join(words)
    if joined in SYNONYMS:
        return SYNONYMS[joined]
    if len(words) > 1:
        joined = " ".join(_word(word) for word in words)
    return SYNONYMS.get(joined, joined)


def _legacy(topic: str) -> str:
    """The normal form a topic was stored under before hyphens and word synonyms were folded."""
    cleaned = _SPACES.sub(" ", topic.strip().lstrip("#").strip().lower())[:MAX_TOPIC]
    if cleaned in _LEGACY_SYNONYMS:
        return _LEGACY_SYNONYMS[cleaned]
    joined = " ".join(_legacy_singular(word) for word in cleaned.split(" "))
    return _LEGACY_SYNONYMS.get(joined, joined)


def _legacy_singular(word: str) -> str:
    """The older plural rule, before "pandas" kept its "s"."""
    # "pandas" joined the words whose trailing "s" is kept; it used to be stored as "panda".
    return "panda" if word == "pandas" else _singular(word)


# The table as it stood before the normal form folded hyphens and words.
_LEGACY_SYNONYMS = {
    key: SYNONYMS[key]
    for key in [
        "k8s",
        "kube",
        "postgres",
        "pg",
        "js",
        "ts",
        "py",
        "golang",
        "ml",
        "ai",
        "ci",
        "cd",
        "ux",
        "ui",
    ]
}


def _reverse() -> dict[str, set[str]]:
    """Each topic the synonym table names, and the spellings that fold into it."""
    table: dict[str, set[str]] = {}
    for key, value in SYNONYMS.items():
        table.setdefault(value, set()).add(key)
    return table


_REVERSE = _reverse()


@lru_cache(maxsize=8192)
def spellings(topic: str) -> frozenset[str]:
    """Every stored form that means the normal-form `topic`: itself and its pre-normal forms.

    Covers hyphenated and underscored phrases, spellings the synonym table folds (whole topic or
    one word) and the older plural rule, so offers saved before the normal form changed still
    match. `topic` must already be normal.
    """
    words = topic.split(" ")
    # One folded word at a time ("k8s ingress"): a product over every word would grow fast.
    phrases = {
        " ".join([*words[:n], other, *words[n + 1 :]])
        for n, word in enumerate(words)
        for other in _REVERSE.get(word, ())
    }
    phrases |= {topic, *_REVERSE.get(topic, ())}
    found = set()
    for phrase in phrases:
        for joiner in (" ", "-", "_"):
            variant = phrase.replace(" ", joiner)
            found.add(variant)
            found.add(_legacy(variant))
    return frozenset(f for f in found if f)
