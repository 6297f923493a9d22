"""Routing scenarios from the issue, each run against the indexed Router and the brute-force
reference (they must tell the same story)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from foundation.errors import InvalidRoutingTransition, UnknownRoutingAgent, UnknownRoutingContact
from skills.model import AgentStats, LineCodeRouting, Policy, RoutingConfig, Step
from skills.policies import rank
from skills.reference import BruteForceRouter
from skills.reservations import InMemoryReservations, Reservations
from skills.router import Router
from tests.skills.samples import AGENTS

AnyRouter = Router | BruteForceRouter
Factory = Callable[..., AnyRouter]

WONEN = "Wonen en energie"
ANDERE = "1700 Andere Vragen"
CONFIG = RoutingConfig(
    {
        WONEN: LineCodeRouting(
            steps=(
                Step(0, min_level=4),
                Step(30),
                Step(90, fallback={ANDERE: 1}, priority=2),
            )
        )
    }
)


@pytest.fixture(params=[Router, BruteForceRouter], ids=["router", "reference"])
def make(request: pytest.FixtureRequest) -> Factory:
    cls = request.param

    def build(
        config: RoutingConfig = CONFIG, reservations: Reservations | None = None
    ) -> AnyRouter:
        return cls(config, reservations)  # type: ignore[no-any-return]

    return build


def ready(router: AnyRouter, agent: str, skills: dict[str, int], idle_since: float = 0.0) -> None:
    router.set_agent(agent, skills)
    router.set_logged_in(agent, True)
    router.agent_free(agent, idle_since, AgentStats(idle_since=idle_since))


def offers(router: AnyRouter, now: float) -> list[tuple[str, str]]:
    return [(m.contact_id, m.agent_id) for m in router.match(now)]


# ---------------------------------------------------------------------- widening steps


def test_steps_widen_with_waiting_time(make: Factory) -> None:
    router = make()
    ready(router, "novice", {WONEN: 2})
    ready(router, "generalist", {ANDERE: 3})
    router.set_agent("expert", {WONEN: 5})
    router.set_logged_in("expert", True)  # logged in but on a call: step 0 is not skipped
    router.add_contact("c1", WONEN, 0.0)
    assert offers(router, 0.0) == []
    assert router.contact_step("c1", 0.0) == (0, 30.0)
    assert router.next_deadline() == 30.0
    assert offers(router, 29.9) == []
    assert offers(router, 30.0) == [("c1", "novice")]


def test_fallback_agents_join_at_the_last_step_with_its_priority(make: Factory) -> None:
    router = make()
    ready(router, "generalist", {ANDERE: 1})
    router.set_agent("expert", {WONEN: 5})
    router.set_logged_in("expert", True)
    router.add_contact("c1", WONEN, 0.0)
    assert offers(router, 89.0) == []
    assert router.contact_step("c1", 89.0) == (1, 90.0)
    [match] = router.match(90.0)
    assert (match.agent_id, match.via_line_code, match.step_index, match.priority) == (
        "generalist",
        ANDERE,
        2,
        2,
    )
    assert router.next_deadline() is None


def test_a_step_nobody_logged_in_could_match_is_skipped_at_once(make: Factory) -> None:
    router = make()
    ready(router, "novice", {WONEN: 2})  # nobody logged in at level 4 or more
    router.add_contact("c1", WONEN, 0.0)
    assert offers(router, 0.0) == [("c1", "novice")]


def test_a_skipped_step_applies_again_once_someone_for_it_logs_in(make: Factory) -> None:
    router = make()
    router.set_agent("novice", {WONEN: 2})
    router.set_logged_in("novice", True)  # logged in, on a call
    router.add_contact("c1", WONEN, 0.0)
    # Skipped to step 1 at once; at 30 s nothing changes, the fallback step comes at 90 s.
    assert router.contact_step("c1", 0.0) == (1, 90.0)
    router.set_agent("expert", {WONEN: 4})
    router.set_logged_in("expert", True)
    assert router.contact_step("c1", 1.0) == (0, 30.0)
    router.set_logged_in("expert", False)
    assert router.contact_step("c1", 2.0) == (1, 90.0)


def test_widening_keeps_place_and_wait_clock(make: Factory) -> None:
    router = make()
    router.set_agent("expert", {WONEN: 5})
    router.set_logged_in("expert", True)
    router.add_contact("early", WONEN, 0.0)
    router.add_contact("late", WONEN, 20.0)
    assert offers(router, 40.0) == []  # "early" widened at 30 s, "late" has not yet
    ready(router, "novice", {WONEN: 1}, idle_since=40.0)
    assert offers(router, 41.0) == [("early", "novice")]


# ---------------------------------------------------------------------- contact selection


def test_a_freed_agent_takes_the_highest_priority_then_the_longest_waiting(make: Factory) -> None:
    router = make(RoutingConfig())
    router.set_agent("agent", {"X": 3})
    router.set_logged_in("agent", True)
    router.add_contact("old", "X", 0.0)
    router.add_contact("callback", "X", 5.0, priority=1)
    router.add_contact("new", "X", 10.0)
    for expected in ("callback", "old", "new"):
        router.agent_free("agent", 20.0, AgentStats(20.0))
        assert offers(router, 20.0) == [(expected, "agent")]


def test_weight_counts_waiting_time_against_other_line_codes(make: Factory) -> None:
    config = RoutingConfig({"sector": LineCodeRouting(weight=2.0)})
    router = make(config)
    router.set_agent("agent", {"sector": 3, "general": 3})
    router.set_logged_in("agent", True)
    router.add_contact("general-30s", "general", 70.0)
    router.add_contact("sector-20s", "sector", 80.0)  # 20 s x 2 = 40 s > 30 s
    router.agent_free("agent", 100.0, AgentStats(100.0))
    assert offers(router, 100.0) == [("sector-20s", "agent")]


def test_same_arrival_time_goes_by_arrival_order(make: Factory) -> None:
    router = make(RoutingConfig())
    router.add_contact("first", "X", 0.0)
    router.add_contact("second", "X", 0.0)
    ready(router, "agent", {"X": 1})
    assert offers(router, 0.0) == [("first", "agent")]


def test_a_requeued_contact_keeps_its_place(make: Factory) -> None:
    router = make(RoutingConfig())
    ready(router, "a1", {"X": 1})
    router.add_contact("c1", "X", 0.0)
    assert offers(router, 0.0) == [("c1", "a1")]
    router.add_contact("c2", "X", 5.0)
    router.requeue("c1", 15.0)  # a1 did not answer
    router.agent_free("a1", 15.0, AgentStats(0.0), not_before=25.0)
    ready(router, "a2", {"X": 1}, idle_since=16.0)
    assert offers(router, 16.0) == [("c1", "a2")]
    assert offers(router, 25.0) == [("c2", "a1")]


def test_a_contact_requeued_elsewhere_keeps_its_wait_clock(make: Factory) -> None:
    router = make()
    router.set_agent("expert", {WONEN: 5})
    router.set_logged_in("expert", True)
    router.add_contact("new", WONEN, 100.0)
    router.add_contact("transferred", WONEN, 100.0, waiting_since=50.0)
    assert router.contact_step("transferred", 100.0) == (1, 140.0)
    ready(router, "novice", {WONEN: 1}, idle_since=100.0)
    assert offers(router, 100.0) == [("transferred", "novice")]


# ---------------------------------------------------------------------- agent selection


@pytest.mark.parametrize(
    ("policy", "winner"),
    [
        (Policy.LONGEST_IDLE, "idle-longest"),
        (Policy.MOST_PROFICIENT, "expert"),
        (Policy.FEWEST_CONTACTS, "quiet-day"),
        (Policy.LEAST_TALK_TIME, "short-calls"),
        (Policy.ROUND_ROBIN, "next-in-turn"),
    ],
)
def test_the_line_codes_policy_picks_the_agent(make: Factory, policy: Policy, winner: str) -> None:
    router = make(RoutingConfig({"X": LineCodeRouting(policy=policy)}))
    for agent, (level, stats) in AGENTS.items():
        router.set_agent(agent, {"X": level})
        router.set_logged_in(agent, True)
        router.agent_free(agent, 60.0, stats)
    router.add_contact("c1", "X", 100.0)
    [match] = router.match(100.0)
    assert (match.agent_id, match.policy) == (winner, policy)
    assert match.rank == rank(policy, *AGENTS[winner])


def test_ranking_is_by_the_contacts_line_code_policy_across_fallbacks(make: Factory) -> None:
    config = RoutingConfig(
        {"X": LineCodeRouting(steps=(Step(0, fallback={"Y": 1}),), policy=Policy.MOST_PROFICIENT)}
    )
    router = make(config)
    ready(router, "own-level-2", {"X": 2}, idle_since=0.0)
    ready(router, "fallback-level-4", {"Y": 4}, idle_since=50.0)
    router.add_contact("c1", "X", 100.0)
    [match] = router.match(100.0)
    assert (match.agent_id, match.via_line_code, match.rank) == (
        "fallback-level-4",
        "Y",
        (-4, 50.0),
    )


def test_a_delayed_agent_is_offered_nothing_before_not_before(make: Factory) -> None:
    router = make(RoutingConfig())
    router.set_agent("a1", {"X": 1})
    router.set_logged_in("a1", True)
    router.agent_free("a1", 0.0, AgentStats(0.0), not_before=10.0)
    router.add_contact("c1", "X", 1.0)
    assert offers(router, 1.0) == []
    assert router.next_deadline() == 10.0
    assert offers(router, 10.0) == [("c1", "a1")]


# ---------------------------------------------------------------------- reservation


def test_the_loser_of_a_reservation_race_moves_to_the_next_candidate(make: Factory) -> None:
    store = InMemoryReservations()
    router = make(RoutingConfig(), store)
    ready(router, "first-choice", {"X": 1}, idle_since=0.0)
    ready(router, "second-choice", {"X": 1}, idle_since=5.0)
    assert store.try_reserve("first-choice", "a contact on another node")
    router.add_contact("c1", "X", 10.0)
    assert offers(router, 10.0) == [("c1", "second-choice")]
    assert store.holder("second-choice") == "c1"
    router.add_contact("c2", "X", 11.0)
    assert offers(router, 11.0) == []  # the lost agent is busy here until agent_free


def test_the_reservation_ends_when_the_agent_is_free_again_or_logs_out(make: Factory) -> None:
    store = InMemoryReservations()
    router = make(RoutingConfig(), store)
    ready(router, "a1", {"X": 1})
    router.add_contact("c1", "X", 0.0)
    router.match(0.0)
    assert store.holder("a1") == "c1"
    router.remove_contact("c1")  # answered and done; wrap-up follows
    assert store.holder("a1") == "c1"
    router.agent_free("a1", 30.0, AgentStats(30.0))
    assert store.holder("a1") is None
    router.add_contact("c2", "X", 31.0)
    router.match(31.0)
    router.set_logged_in("a1", False)
    assert store.holder("a1") is None


def test_an_agent_is_never_offered_two_contacts(make: Factory) -> None:
    router = make(RoutingConfig())
    ready(router, "a1", {"X": 1})
    router.add_contact("c1", "X", 0.0)
    router.add_contact("c2", "X", 0.0)
    assert offers(router, 0.0) == [("c1", "a1")]
    assert offers(router, 100.0) == []


# ---------------------------------------------------------------------- refusals


def test_calls_that_do_not_fit_the_state_are_refused(make: Factory) -> None:
    router = make(RoutingConfig())
    with pytest.raises(UnknownRoutingAgent, match="no agent 'ghost'"):
        router.agent_free("ghost", 0.0, AgentStats(0.0))
    router.set_agent("a1", {"X": 1})
    with pytest.raises(InvalidRoutingTransition, match="logged out"):
        router.agent_free("a1", 0.0, AgentStats(0.0))
    router.add_contact("c1", "X", 0.0)
    with pytest.raises(InvalidRoutingTransition, match="already routed"):
        router.add_contact("c1", "X", 0.0)
    with pytest.raises(InvalidRoutingTransition, match="not offered"):
        router.requeue("c1", 0.0)
    router.remove_contact("c1")
    with pytest.raises(UnknownRoutingContact):
        router.remove_contact("c1")
    with pytest.raises(UnknownRoutingContact):
        router.contact_step("c1", 0.0)


def test_stats_count_agents_and_contacts(make: Factory) -> None:
    router = make(RoutingConfig())
    ready(router, "a1", {"X": 1})
    ready(router, "a2", {"Y": 1})
    router.add_contact("c1", "X", 0.0)
    router.add_contact("c2", "Z", 0.0)
    router.match(0.0)
    stats = router.stats()
    assert (stats["agents"], stats["agents_free"]) == (2, 1)
    assert (stats["contacts_waiting"], stats["contacts_offered"]) == (1, 1)


def test_an_offer_taken_up_after_a_restart_holds_its_agent_and_requeues_at_its_place() -> None:
    router = Router(RoutingConfig())
    ready(router, "a1", {"X": 1})
    router.add_contact("c2", "X", 10.0)  # arrived after c1, which is still ringing a1
    router.add_offered("c1", "X", "a1", 20.0, waiting_since=0.0)
    assert offers(router, 20.0) == []  # a1 is held for c1
    with pytest.raises(InvalidRoutingTransition):
        router.add_offered("c3", "X", "a1", 20.0)
    router.requeue("c1", 30.0)  # a1 did not answer
    ready(router, "a2", {"X": 1}, idle_since=31.0)
    assert offers(router, 31.0) == [("c1", "a2")]  # c1 kept its place ahead of c2
