"""What an ask is about: tags, phrases in its text, synonyms and plurals in one normal form, never
filler; and end to end, `/offer machine learning` then an ask about it reaches that person with a
DM that names only what they offered."""

from __future__ import annotations

import pytest

from app.asks.topics import FILLER, candidates, mentioned, shown, spans, tags, topics_of
from app.sandbox.driver import SlackDriver
from app.sandbox.slack_api import SlackStandIn
from tests.asks.conftest import Send
from tests.kudos.conftest import reply_text

OFFERED = {"machine learning", "design system", "postgresql", "helm", "learning", "react"}


@pytest.mark.parametrize(
    ("text", "topics"),
    [
        ("Feature store for churn scores #machine-learning", ["machine learning"]),
        ("Feature store for churn scores #machine_learning", ["machine learning"]),
        ("Feature store for churn scores #ML", ["machine learning"]),
        ("how do I train a machine learning model on tickets", ["machine learning"]),
        ("How do I train a Machine-Learning model?", ["machine learning"]),
        ("Figma components for the new design systems", ["design system"]),
        ("Replication lag on postgres, tried everything", ["postgresql"]),
        ("Need a Helm chart review before Friday", ["helm"]),
        ("Our K8s cluster will not scale down", ["kubernetes"]),
        # Tags come first, then the topics the text names; filler is never one.
        (
            "How do I rotate the staging DB password? Tried the runbook, step 3 fails. "
            "Need it by Friday #postgres",
            ["postgresql", "database"],
        ),
        ("Urgent!! #help #urgent #asap my build is red #ci", ["ci/cd"]),
    ],
)
def test_topics_of_an_ask(text: str, topics: list[str]) -> None:
    assert topics_of(text, OFFERED) == topics


def test_the_longest_phrase_wins_and_covers_its_words() -> None:
    # "learning" is offered too, but the words belong to "machine learning".
    assert mentioned("training a machine learning model", OFFERED) == ["machine learning"]
    assert mentioned("a learning budget for the team", OFFERED) == ["learning"]


def test_phrases_do_not_cross_sentences() -> None:
    assert mentioned("We love the machine. Learning is hard", OFFERED) == ["learning"]


def test_everyday_words_count_only_as_names_or_tags() -> None:
    assert mentioned("How should I react when a customer escalates?", OFFERED) == []
    assert mentioned("React state resets on navigation", OFFERED) == ["react"]
    assert mentioned("my state resets #react", OFFERED) == ["react"]
    # Two-letter words are topics as capitals or tags, not in a sentence ("cd into the folder").
    assert topics_of("I cd into the folder and run it", OFFERED) == ["folder"]
    assert topics_of("Our CD pipeline is red", OFFERED) == ["ci/cd"]


def test_filler_never_becomes_a_topic() -> None:
    filler_heavy = [
        "Hey, quick question, anyone know who I should ask about this? Need it asap, thanks!",
        "Tried everything, still stuck, any ideas? Need by tomorrow EOD",
        "Can someone help me with step 3 of the runbook please? Trying again on Monday",
        "Help needed today or tomorrow, I want to get this working by Friday in March",
    ]
    for text in filler_heavy:
        assert topics_of(text, OFFERED) == [], text
    for word in ["tried", "step", "friday", "runbook", "today", "eod", "asap", "issue", "thing"]:
        assert word in FILLER


def test_without_a_known_topic_a_few_plain_words_stand_in() -> None:
    assert topics_of("Anyone know GraphQL schema stitching?") == ["graphql", "schema", "stitching"]
    assert topics_of("Where do we order new laptops?") == ["laptop"]


def test_tags_are_normal_and_filler_tags_dropped() -> None:
    assert tags("#Design-Systems #help #k8s #A11y") == (
        "design system",
        "kubernetes",
        "accessibility",
    )


def test_candidates_hold_every_phrase_a_vocabulary_could_name() -> None:
    found = candidates("train a machine learning model")
    assert {"machine learning", "machine learning model", "learning", "model"} <= found
    # Phrases never start or end on a word like "a" or "the"; filler never stands alone.
    assert "a machine" not in found
    assert "train a" not in found
    assert all(
        s.topic not in FILLER for s in spans("tried the runbook on friday") if s.end - s.start == 1
    )


def test_stored_topics_are_shown_without_old_filler() -> None:
    # Topics saved by the older extraction: filler and hyphens.
    assert shown(["postgresql", "tried", "rotate", "machine-learning", "step"]) == [
        "postgresql",
        "rotate",
        "machine learning",
    ]


def test_an_offered_phrase_reaches_its_expert_by_dm_naming_only_what_they_offered(
    slack: SlackStandIn, driver: SlackDriver, ask_cmd: Send
) -> None:
    offered = driver.command(
        command="/offer",
        text="Machine Learning, kubernetes — happy to pair",
        user_id="U0BOB",
        channel_id="C0GENERAL",
    )
    assert "`machine learning`" in reply_text(offered)
    asks = [
        "Which loss function for churn prediction? #machine-learning",
        "How do I get started training a machine learning model on our tickets? Tried a "
        "tutorial, step 2 fails, need it by Friday",
    ]
    for n, text in enumerate(asks, start=1):
        reply_text(ask_cmd(text))
        dms = slack.wait_for(
            lambda c: c.method == "chat.postMessage" and c.args["channel"] == "U0BOB", count=n
        )
        said = dms[-1].args["text"].split(":\n>")[0]
        assert "asked about `machine learning`, which you offered" in said
        # Nothing Bob did not offer: not "kubernetes", not the filler of the ask.
        assert said.count("`") == 2, said
