"""A plain snapshot of what a router's indexes say, for checking them against a recomputation.

:meth:`skills.router.Router.index_view` reads it from the live index entries;
:meth:`skills.reference.BruteForceRouter.index_view` recomputes it from scratch by scanning
every agent and contact.  The property tests require the two to be equal after every event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from skills.model import Policy
from skills.steps import Admission


@dataclass(frozen=True, slots=True)
class IndexView:
    # free agents per (skill, level, policy ordering them); only non-empty entries
    free: Mapping[tuple[str, int, Policy], frozenset[str]]
    # waiting contacts per (skill, minimum level) admitted by their current step
    waiting: Mapping[Admission, frozenset[str]]
    # each waiting contact's (time step, step)
    steps: Mapping[str, tuple[int, int]]
    # per skill with logged-in agents: how many have at least level 1, 2, ... 5
    logged_in: Mapping[str, tuple[int, ...]]
    # agents waiting for their not_before
    delayed: frozenset[str]
