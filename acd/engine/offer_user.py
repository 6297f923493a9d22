"""What the core's parts that act on an agent's contact through the offers share: the
configuration, the id factory, the agent book, the contact table and the offers."""

from __future__ import annotations

from acd.engine.agents import AgentBook
from acd.engine.contacts import ContactTable, IdFactory
from acd.engine.model import EngineConfig
from acd.engine.offers import Offers


class OfferUser:
    """The base of the inbound flow, the callback placing, the transfers and the surveys."""

    def __init__(
        self,
        config: EngineConfig,
        ids: IdFactory,
        agents: AgentBook,
        table: ContactTable,
        offers: Offers,
    ) -> None:
        self._config = config
        self._ids = ids
        self._agents = agents
        self._table = table
        self._offers = offers
