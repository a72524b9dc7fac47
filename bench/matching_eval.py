"""The matching evaluation: everyday asks, a fixed set of offers, and who should get the DM.

`evaluate` runs the real code path (the offers saved with `offers.add`, each ask created with
`asks.lifecycle.create`, which extracts its topics and queues the DMs matching chooses) over a
real database, and scores "who gets the DM" against the expected people. It is run by
`tests/asks/test_matching.py` (thresholds) and `python -m bench.matching` (figures for the README).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select

from app.asks import lifecycle
from app.directory.service import save_members
from app.offers import service as offers
from app.offers.topics import normalize
from app.slackapi.payloads import Conversation
from app.store.db import SessionFactory, make_engine, make_session_factory, transaction
from app.store.models import AskMatch, OutboxMessage, Workspace
from app.workspaces.service import Identity, ensure_workspace

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
TEAM = "T1"
ASKER = "UASK"
PUBLIC = Conversation("C1", is_private=False, is_dm=False, bot_is_member=True)
# Who offers what, typed as people type it in `/offer`.
ROSTER: dict[str, list[str]] = {
    "UANA": ["postgres", "sql", "database migrations"],
    "UBEN": ["kubernetes", "helm", "docker"],
    "UCAT": ["react", "typescript", "css"],
    "UDAN": ["python", "pandas", "machine learning"],
    "UEVE": ["aws", "terraform", "networking"],
    "UFAY": ["design systems", "figma", "accessibility"],
    "UGUS": ["kubernetes", "terraform", "CI/CD"],
    "UHAL": ["javascript", "react", "node.js"],
    "UIDA": ["security", "oauth", "networking"],
    "UJON": ["excel", "finance", "budgets"],
    "UKIM": ["data science", "A/B testing", "statistics"],
    "ULEO": ["code review", "git", "unit testing"],
    "UMIA": ["product management", "user research", "roadmaps"],
    "UNED": ["incident response", "on-call", "observability"],
    "UOLA": ["iOS", "swift", "mobile releases"],
    "UPAM": ["hiring", "interviewing", "onboarding"],
}
# (ask as typed, who should hear about it). Written as people write in Slack: multi-word topics in
# free text, hyphenated and underscored tags (the ask form turns "machine learning" into
# `#machine-learning`), plurals, synonyms, filler-heavy asks, and asks nobody offered (nobody).
CASES: list[tuple[str, set[str]]] = [
    # Explicit tags, one word.
    ("Postgres query is slow after the upgrade #postgres", {"UANA"}),
    ("Docker image is 3GB, how to slim it? #docker", {"UBEN"}),
    ("React state resets when I navigate #react", {"UCAT", "UHAL"}),
    ("CSS grid layout breaks on Safari #css", {"UCAT"}),
    ("Pandas groupby returns NaN #pandas", {"UDAN"}),
    ("Python packaging: wheels vs sdists #python", {"UDAN"}),
    ("Terraform state lock stuck #terraform", {"UEVE", "UGUS"}),
    ("AWS IAM policy for S3 read only #aws", {"UEVE"}),
    ("VPN to the office keeps dropping #networking", {"UEVE", "UIDA"}),
    ("Is our signup form accessible to screen readers? #accessibility", {"UFAY"}),
    ("OAuth refresh tokens expire too early #oauth", {"UIDA"}),
    ("Security review for the new upload endpoint #security", {"UIDA"}),
    ("Excel formula to split names #excel", {"UJON"}),
    ("Finance approval flow for travel #finance", {"UJON"}),
    ("SQL window functions explained? #sql", {"UANA"}),
    ("Rebase went wrong and I lost a commit #git", {"ULEO"}),
    ("Swift concurrency warnings after Xcode update #swift", {"UOLA"}),
    ("Our Grafana dashboards are empty since Monday #observability", {"UNED"}),
    # Synonyms and abbreviations in tags.
    ("Our k8s pods keep restarting #k8s", {"UBEN", "UGUS"}),
    ("TypeScript generics question #ts", {"UCAT"}),
    ("Which ML model for churn prediction? #ml", {"UDAN"}),
    ("CI pipeline takes 40 minutes, ideas? #ci", {"UGUS"}),
    ("JavaScript date parsing across time zones #js", {"UHAL"}),
    ("Memory leak in our API server #nodejs", {"UHAL"}),
    ("Vacuum never finishes on the events table #pg", {"UANA"}),
    ("Screen reader skips the modal title #a11y", {"UFAY"}),
    # Hyphenated and underscored tags (the ask form writes these).
    ("How do I write a migration that renames a column? #database-migrations", {"UANA"}),
    ("Feature store for churn scores #machine-learning", {"UDAN"}),
    ("Python notebook for model features #python #machine-learning", {"UDAN"}),
    ("Button spacing differs between apps #design-system", {"UFAY"}),
    ("Who can look at my pipeline config? #ci-cd", {"UGUS"}),
    ("Experiment ended early, is the result valid? #a-b-testing", {"UKIM"}),
    ("Pager went off three times last night #incident_response", {"UNED"}),
    ("Swap my on-call shift next week? #on-call", {"UNED"}),
    ("Sample size for the pricing page test #ab-testing", {"UKIM"}),
    ("Planning next quarter's priorities #product-management", {"UMIA"}),
    ("Shipping the app to the store on Thursday #mobile-releases", {"UOLA"}),
    ("Booking customer interviews for the new flow #user_research", {"UMIA"}),
    # Multi-word topics in free text, no tag.
    ("How do I train a machine learning model on our support tickets?", {"UDAN"}),
    ("Is machine learning overkill for routing support emails?", {"UDAN"}),
    ("We need someone to sanity check our design system tokens", {"UFAY"}),
    ("Could someone do a code review of my first Go service?", {"ULEO"}),
    ("Looking for help with a database migration that locks the users table", {"UANA"}),
    ("Anyone with data science experience free to look at our churn numbers?", {"UKIM"}),
    ("What does a good incident response checklist look like?", {"UNED"}),
    ("How do we run A/B testing on the onboarding emails?", {"UKIM"}),
    ("Any tips on user research for a B2B admin tool?", {"UMIA"}),
    ("How often should we do mobile releases?", {"UOLA"}),
    ("Writing unit tests for a function that calls the clock", {"ULEO"}),
    ("Does anyone know product management frameworks for a two person team?", {"UMIA"}),
    ("Our CI/CD pipeline deploys the wrong branch", {"UGUS"}),
    # Plurals and other forms in free text.
    ("Helm charts for the staging cluster are out of date", {"UBEN"}),
    ("Who can help me read these budgets before the board meeting?", {"UJON"}),
    ("Tips for interviews with senior engineers?", {"UPAM"}),
    ("Our roadmap keeps slipping, how do others keep it honest?", {"UMIA"}),
    ("Kubernetes ingress with terraform #kubernetes #terraform", {"UGUS", "UBEN", "UEVE"}),
    ("Postgres on kubernetes with helm #postgres #kubernetes", {"UANA", "UBEN", "UGUS"}),
    ("React accessibility audit #react #accessibility", {"UCAT", "UHAL", "UFAY"}),
    ("Figma components for the new design systems", {"UFAY"}),
    ("Docker compose file for local dev with postgres", {"UBEN", "UANA"}),
    ("Statistics question: is the median or the mean right for latency?", {"UKIM"}),
    ("Security questions from a customer's vendor questionnaire", {"UIDA"}),
    ("Need a Helm chart review before Friday", {"UBEN"}),
    ("Postgres replication lag on the read replica", {"UANA"}),
    (
        "How do I rotate the staging DB password? Tried the runbook, step 3 fails #postgres",
        {"UANA"},
    ),
    # Synonyms in free text.
    ("Our K8s cluster autoscaler is not scaling down", {"UBEN", "UGUS"}),
    ("The ML team needs a second opinion on feature drift", {"UDAN"}),
    ("Which JS bundler should a small internal tool use?", {"UHAL"}),
    ("Migrating our nodejs service to the new logging library", {"UHAL"}),
    ("Golang or python for a small CLI?", {"UDAN"}),
    ("Reviewing the onboarding plan for two new hires starting in April", {"UPAM"}),
    # Filler-heavy asks: nothing here was offered, so nobody is told.
    ("Where do we order new laptops?", set()),
    ("Who runs the Friday demo?", set()),
    ("Hey, quick question, anyone know who I should ask about this? Need it asap, thanks!", set()),
    ("Tried everything, still stuck, any ideas? Need by tomorrow EOD", set()),
    ("Can someone help me with the step 3 of the runbook please?", set()),
    ("Who do I talk to about parking passes?", set()),
    ("Is the office open on Monday after the holiday?", set()),
    ("How do I book a meeting room for Thursday?", set()),
    ("Any recommendations for a lunch place near the office?", set()),
    ("Where is the expense policy for conference travel?", set()),
    ("How do I get access to the shared drive?", set()),
    ("Help! My laptop won't boot after the update, please advise", set()),
    ("What is the process to request time off in March?", set()),
    ("Who owns the company newsletter?", set()),
    ("How should I react when a customer escalates to my manager?", set()),
    ("Is it ok to go to the all-hands remotely?", set()),
    ("We need a volunteer to run the Friday social", set()),
    ("Where can I find the brand fonts?", set()),
    # Topics that sound close but were not offered.
    ("Anyone know GraphQL schema stitching?", set()),
    ("Kafka consumer lag keeps growing", set()),
    ("Redis eviction policy for a session cache", set()),
    ("Salesforce report that groups by region", set()),
]


@dataclass
class Result:
    """How well the people told matched the people expected, over every case."""

    cases: int = 0
    told: int = 0
    expected: int = 0
    correct: int = 0
    misses: list[str] = field(default_factory=list)
    false_reasons: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        """Share of DMs sent that went to someone expected (1.0 when nobody was told)."""
        return self.correct / self.told if self.told else 1.0

    @property
    def recall(self) -> float:
        """Share of expected people who got the DM."""
        return self.correct / self.expected if self.expected else 1.0


@contextmanager
def seeded(database_url: str) -> Iterator[SessionFactory]:
    """A workspace on `database_url` with the roster's offers, matching capped by nothing."""
    engine = make_engine(database_url, pool_size=2)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        ensure_workspace(session, Identity(TEAM, "Acme", "UBOT", "BBOT"), NOW)
        workspace = session.get_one(Workspace, TEAM)
        # The evaluation measures who matches, not the caps that spread DMs over a day.
        workspace.expert_daily_cap = 1000
        workspace.matches_per_ask = 20
        people = [{"id": u, "name": u.lower()} for u in [*ROSTER, ASKER]]
        save_members(session, TEAM, people, NOW)
        for user, topics in ROSTER.items():
            offers.add(session, TEAM, user, topics, "", NOW)
    try:
        yield factory
    finally:
        engine.dispose()


def evaluate(sessions: SessionFactory) -> Result:
    """Create every case's ask through the real service and score who was sent a DM.

    Also records each DM that names a topic as offered which that person never offered.
    """
    result = Result()
    offered = {u: {normalize(t) for t in ts} for u, ts in ROSTER.items()}
    for text, wanted in CASES:
        with transaction(sessions) as session:
            ask = lifecycle.create(session, TEAM, ASKER, text, PUBLIC, NOW)
            told = set(session.scalars(select(AskMatch.user_id).where(AskMatch.ask_id == ask.id)))
            dms = session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.dedupe_key.like(f"ask:{ask.id}:match:%"),
                )
            )
            for dm in dms:
                user = dm.args["user"]
                said = dm.args["text"].split(", which you offered")[0]
                named = {part.strip("`") for part in said.split("`")[1::2]}
                if not named <= offered[user]:
                    result.false_reasons.append(f"{text!r}: {user} told {sorted(named)}")
        result.cases += 1
        result.told += len(told)
        result.expected += len(wanted)
        result.correct += len(told & wanted)
        if told != wanted:
            result.misses.append(
                f"{text!r}: missed {sorted(wanted - told)}, extra {sorted(told - wanted)}"
            )
    return result
