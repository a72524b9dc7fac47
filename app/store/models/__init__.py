"""The records the bot keeps, as SQLAlchemy 2 typed models.

Every table carries `team_id` and every query filters on it: no workspace sees another's rows.
Alembic (migrations/) owns the schema; a test proves these models and the migrations agree.
"""

from app.store.models.asks import Ask, AskHelper, AskMatch, AskNudge, AskReply
from app.store.models.base import Base
from app.store.models.exactly_once import DigestRun, ProcessedEvent
from app.store.models.installations import BOTS_TABLE, INSTALLATIONS_TABLE, STATES_TABLE
from app.store.models.intros import Introduction, IntroPerson, IntroSuggestion
from app.store.models.kudos import Kudos, KudosRecipient
from app.store.models.offers import Offer
from app.store.models.outbox import OutboxFile, OutboxMessage
from app.store.models.signin import SignInLink, WebSession
from app.store.models.workspaces import Channel, Member, Workspace

__all__ = [
    "BOTS_TABLE",
    "INSTALLATIONS_TABLE",
    "STATES_TABLE",
    "Ask",
    "AskHelper",
    "AskMatch",
    "AskNudge",
    "AskReply",
    "Base",
    "Channel",
    "DigestRun",
    "IntroPerson",
    "IntroSuggestion",
    "Introduction",
    "Kudos",
    "KudosRecipient",
    "Member",
    "Offer",
    "OutboxFile",
    "OutboxMessage",
    "ProcessedEvent",
    "SignInLink",
    "WebSession",
    "Workspace",
]
