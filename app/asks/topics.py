"""What an ask is about: its `#tags` and the known topics its words name, never filler.

An ask's topics are its explicit `#tags` in normal form (see `app.offers.topics`), then every
topic its text names from a vocabulary: the topics offered in the workspace (the caller looks
them up, `candidates` says which to look up) and the topics the synonym table knows, such as
"machine learning" or "database". Phrases are found by containment over the text's words, longest
first, so "how do I train a machine learning model" names "machine learning" and not "learning".
Only when an ask has no tag and names no known topic do its remaining words stand in (at most
`FALLBACK` of them), and filler (verbs like "tried", weekdays, "asap", "runbook") never does.

Matching (`app.asks.matching`) uses the same containment against the workspace's offers, so an
ask reaches people by what they offered even when it never says `#topic`; keyword extraction
itself stays conservative because shown topics are a promise about what the ask is about.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass

from app.offers.topics import SYNONYMS, normalize
from app.slackapi.mrkdwn import parse

MAX_SPAN = 4
FALLBACK = 3
LIMIT = 8


def _words(listed: str) -> frozenset[str]:
    """A word list written as running text (easier to read and edit than a list literal)."""
    return frozenset(listed.split())


# Words that carry grammar, not meaning: a phrase never starts or ends with one.
FUNCTION_WORDS = _words(
    """
    a an the and or but nor so yet if then than as at by for from in into of off on onto out over
    to up upon with within without via per about above after against along among around before
    behind below beneath beside between beyond during except inside near since through toward
    towards under until unlike i me my mine we us our ours you your yours he him his she her hers it
    its they them their theirs this that these those who whom whose which what when where why how
    is am are was were be been being do does did done doing have has had having can could will
    would shall should may might must not no yes any some all each every both either neither few
    many more most much other such own same too very just also only even still again ever never
    there here anyone someone anybody somebody everyone everybody anything something everything
    nothing nobody none whatever whoever else
    """
)
# Words that are never a topic on their own: everyday verbs, time words, greetings and the generic
# nouns every ask contains. Chosen from the evaluation asks in bench/matching_eval.py.
FILLER = FUNCTION_WORDS | _words(
    """
    ask asked asking need needed needing help helped helping want wanted wanting get got getting
    gotten make made making try tried trying trie use used using know knew known think thought
    look looked looking see saw seen seem seems work worked working go going went gone come came
    coming take took taken taking give gave given find found finding keep kept let put say said
    tell told show shown showed run ran running set setting start started starting stop stopped
    fix fixed fixing break broke broken fail failed failing fails happen happened happening
    change changed changing check checked checking figure figured understand understood explain
    explained share shared wonder wondering guess hope hoping like love prefer suggest
    recommend recommendation suggestion idea thought thanks thank thx please pls plz hi hello hey
    morning afternoon evening folk team guy people anyone someone question issue problem thing
    stuff way lot bit kind sort part step reason case example point time day week month year hour
    minute today tomorrow yesterday tonight now soon later eod eow asap urgent urgently quick
    quickly fast slow slowly best better good bad great new old big small little right wrong sure
    able unable possible impossible again currently actually really basically probably maybe
    perhaps already almost enough okay ok yeah lol fyi btw imo tbh monday tuesday wednesday
    thursday friday saturday sunday weekend january february march april may june july august
    september october november december runbook doc docs document documentation link page
    instruction guide tip advice pointer review reviewed feedback sync meeting call chat message
    thread channel slack dm email note today's anybody somebody whoever nobody what's how's it's
    i'm i've i'd we're we've don't doesn't didn't can't cannot won't isn't aren't wasn't couldn't
    shouldn't wouldn't there's that's let's talk talking order ordering open opened close closed
    book booking place request requested update updated upgrade upgraded stuck grow growing
    remote remotely escalate escalates escalated advise own owns owner company group senior
    junior person lost read reading write writing add added remove removed create created delete
    deleted install installed configure configured setup move moved send sending plan planning
    ship shipping free sanity other others honest everything anything hand tell wrong happy
    """
)
# Topics that are also everyday words ("how should I react"): in free text they count only when
# written as a name, capitalised; as `#tags` they always count.
AMBIGUOUS = _words("react swift rust node spark excel chef puppet flask express go")
# Topics the synonym table names, and a few everyday phrases, recognised even if nobody offers them.
KNOWN = frozenset(SYNONYMS.values()) | frozenset(
    ["code review", "design system", "data science", "load balancer", "sql"]
)
_STRIP = re.compile(r"<[^<>]*>|(?<![^\s(])@[\w.-]+|:[a-z0-9_+'-]+:")
# Sentence punctuation and brackets end a phrase; dots inside a word ("node.js") do not.
_SEGMENT = re.compile(r"[.!?,;:]+(?=\s|$)|[()\[\]{}\"“”`*|\n]|\s[-–—]+\s")
_TOKEN = re.compile(r"#?[A-Za-z0-9][A-Za-z0-9+#]*(?:[./'’][A-Za-z0-9+#]+)*")


@dataclass(frozen=True)
class Span:
    """Words `start` to `end` (exclusive) of one phrase of the text, and the topic they name."""

    start: int
    end: int
    topic: str


def _segments(text: str) -> Iterator[list[str]]:
    """The text's phrases-to-be: runs of words between sentence punctuation."""
    for segment in _SEGMENT.split(_STRIP.sub(" . ", text)):
        words = _TOKEN.findall(segment)
        if words:
            yield words


def _counts_alone(raw: str, topic: str) -> bool:
    """Whether one word may stand for a topic: not filler, and short words only as `#tags` or
    capitals ("ML", "CI"), so "go" and "cd" in a sentence are not topics."""
    if not topic or topic in FILLER or not any(c.isalpha() for c in topic):
        return False
    bare = raw.lstrip("#")
    if bare.lower() in AMBIGUOUS and not raw.startswith("#") and not bare[:1].isupper():
        return False
    return len(bare) >= 3 or raw.startswith("#") or (bare.isupper() and topic != bare.lower())


# Posting an ask reads its phrases four times (its topics, the offers they match, each helper's
# score): kept for the latest texts rather than found again (spans are frozen, so shareable).
@functools.lru_cache(maxsize=64)
def spans(text: str) -> tuple[Span, ...]:
    """Every phrase of up to `MAX_SPAN` words that could name a topic, numbered across the text."""
    found: list[Span] = []
    offset = 0
    for words in _segments(text):
        plain = [w.lstrip("#").lower() for w in words]
        for start in range(len(words)):
            for end in range(start + 1, min(start + MAX_SPAN, len(words)) + 1):
                if end - start == 1:
                    topic = normalize(words[start])
                    if _counts_alone(words[start], topic):
                        found.append(Span(offset + start, offset + end, topic))
                    continue
                if plain[start] in FUNCTION_WORDS or plain[end - 1] in FUNCTION_WORDS:
                    continue
                topic = normalize(" ".join(plain[start:end]))
                if topic:
                    found.append(Span(offset + start, offset + end, topic))
        offset += len(words) + 1
    return tuple(found)


def candidates(text: str) -> set[str]:
    """The normal forms of every phrase in `text` that a vocabulary could hold (to look up)."""
    return {s.topic for s in spans(text)} | set(tags(text))


@functools.lru_cache(maxsize=64)
def tags(text: str) -> tuple[str, ...]:
    """The ask's explicit `#tags` in normal form, filler (`#help`, `#urgent`) left out (kept
    for the latest texts, as `spans`: an ask's tags are read four times as it is posted)."""
    named = (normalize(v) for v in parse(text).values)
    return tuple(dict.fromkeys(t for t in named if t and t not in FILLER))


def mentioned(text: str, vocabulary: Collection[str]) -> list[str]:
    """The topics of `vocabulary` that `text` names, longest phrase first, in text order.

    A word counts towards one topic only: "machine learning" covers "learning".
    """
    hits = sorted(
        (s for s in spans(text) if s.topic in vocabulary),
        key=lambda s: (s.start - s.end, s.start),
    )
    taken: set[int] = set()
    kept: list[Span] = []
    for span in hits:
        words = set(range(span.start, span.end))
        if words & taken:
            continue
        taken |= words
        kept.append(span)
    return list(dict.fromkeys(s.topic for s in sorted(kept, key=lambda s: s.start)))


def topics_of(text: str, offered: Collection[str] = (), limit: int = LIMIT) -> list[str]:
    """The ask's topics: its `#tags`, then the offered or known topics its text names; only when
    there are none, a few of its own words that are not filler."""
    named = mentioned(text, KNOWN | set(offered))
    found = list(dict.fromkeys([*tags(text), *named]))
    if not found:
        words = (s.topic for s in spans(text) if s.end - s.start == 1 and len(s.topic) > 3)
        found = list(dict.fromkeys(words))[:FALLBACK]
    return found[:limit]


def shown(topics: Collection[str]) -> list[str]:
    """Stored topics as they may be shown: in normal form, without filler saved by older code."""
    return list(dict.fromkeys(t for t in (normalize(x) for x in topics) if t and t not in FILLER))
