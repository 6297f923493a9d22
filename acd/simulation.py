"""The simulated world around the engine, for the demo and the system tests: the emulated PBX's
dialplan and agent phones derived from the engine's own settings, and callers who dial in.

The dialplan mirrors what the README tells an operator to write for a real Asterisk
(``exten => <number>,1,Stasis(acd,inbound,<line id>)``), so the engine sees the same thing in
both worlds.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

from acd.settings import Settings
from emulator import (
    CallerScript,
    DtmfPress,
    EndpointBehaviour,
    EndpointSpec,
    Mode,
    PbxConfig,
    RandomBehaviour,
    StasisTarget,
    SurveyAnswers,
)
from emulator.scripts import Behaviour


def pbx_config_from_settings(
    settings: Settings,
    behaviours: Mapping[str, Behaviour] | None = None,
    default: Behaviour | None = None,
    seed: int = 0,
    trunk: Mapping[str, Behaviour] | None = None,
) -> PbxConfig:
    """A PBX whose dialplan sends every line number into the app, with one phone per agent and
    the trunks that ``engine.callback_dial`` and ``engine.escalation_dial`` dial citizens and
    escalation points through.

    ``behaviours`` maps an agent id to how that agent's phone answers; the others use
    ``default`` (answer after 2 s). ``trunk`` maps a number (E.164) to how the phone behind it
    answers (on every trunk); any other number answers after 3 s and hangs up after two
    minutes."""
    behaviours = behaviours or {}
    default = default or EndpointBehaviour.answer(2.0)
    app = settings.ari.app
    dialplan = {
        number: StasisTarget(app, ("inbound", line.id))
        for line in settings.lines
        for number in (line.numbers or (line.id,))
    }
    endpoints = []
    for agent in settings.agents:
        technology, _, resource = agent.endpoint.partition("/")
        endpoints.append(
            EndpointSpec(
                resource, behaviours.get(agent.id, default), technology=technology or "PJSIP"
            )
        )
    # The trunks the engine dials out through: citizens called back (engine.callback_dial) and
    # escalation points (engine.escalation_dial); the shipped config uses one for both.
    dials = (settings.engine.callback_dial, settings.engine.escalation_dial)
    trunks = {trunk for trunk in map(trunk_of, dials) if trunk is not None}
    for technology, resource in sorted(trunks):
        endpoints.append(
            EndpointSpec(
                resource,
                EndpointBehaviour.answer(3.0, hangup_after_s=120.0),
                technology=technology,
                context="from-trunk",
                numbers=dict(trunk or {}),
            )
        )
    return PbxConfig(
        dialplan=dialplan,
        endpoints=tuple(endpoints),
        seed=seed,
        username=settings.ari.username,
        password=settings.ari.password.get_secret_value(),
    )


def trunk_of(dial: str) -> tuple[str, str] | None:
    """The endpoint a dial template goes out through: ``PJSIP/{e164}@trunk`` and
    ``PJSIP/trunk/sip:{e164}@host`` -> (PJSIP, trunk); ``None`` for a template that dials an
    endpoint directly (``PJSIP/cb{digits}``)."""
    technology, _, resource = dial.partition("/")
    endpoint, slash, _ = resource.partition("/")
    if not slash:
        _, at, endpoint = resource.partition("@")
        if not at:
            return None
    if not endpoint or "{" in endpoint:
        return None
    return technology or "PJSIP", endpoint


def demo_agent_behaviour() -> RandomBehaviour:
    """Agents on softphones: most answer within a few seconds, a few let it ring or are busy;
    they talk for two to five minutes and hang up themselves."""
    weights = {Mode.ANSWER: 0.92, Mode.RING: 0.05, Mode.BUSY: 0.03}
    return RandomBehaviour(weights, ring_s=(1.0, 6.0), talk_s=(90.0, 300.0))


@dataclass(frozen=True, slots=True)
class CallerProfile:
    """How simulated callers behave: how long they will wait before hanging up."""

    mean_patience_s: float = 240.0
    talk_s: float = 600.0  # the agent normally ends the call first
    menu_press_s: float = 3.0  # seconds after the answer a caller starts keying a choice
    ignore_menu: float = 0.2  # share of callers who never press a key
    accept_callback: float = 0.5  # share of callers who would take a callback when offered
    accept_after_s: float = 160.0  # when they press 1 (the offer comes 150 s into the queue)
    survey_quit: float = 0.15  # share of surveyed callers who hang up half-way
    survey_ten_as_star: float = 0.3  # share who key a 10 as * (the others: 1 then 0)
    # How often each score 1..10 is given: most callers are content, a few are not.
    survey_weights: tuple[float, ...] = (2, 1, 1, 2, 3, 5, 8, 10, 7, 5)


class CallerGenerator:
    """Poisson arrivals spread over the lines' numbers by weight."""

    def __init__(
        self,
        settings: Settings,
        calls_per_hour: float,
        rng: random.Random,
        profile: CallerProfile | None = None,
    ) -> None:
        self._numbers = [ln.numbers[0] if ln.numbers else ln.id for ln in settings.lines]
        self._offers_callbacks = {
            number: ln.callbacks.enabled
            for number, ln in zip(self._numbers, settings.lines, strict=True)
        }
        self._menu_digits = {
            number: sorted(ln.menu.options)
            for number, ln in zip(self._numbers, settings.lines, strict=True)
            if ln.menu is not None
        }
        # What a line's survey questions sound like: the last media of each question's prompt.
        self._questions = {
            number: tuple(q.prompt[-1] for q in ln.survey.questions)
            for number, ln in zip(self._numbers, settings.lines, strict=True)
            if ln.survey.enabled
        }
        # The main number carries most traffic, as 1700 does beside its sector lines.
        self._weights = [4.0 if i == 0 else 1.0 for i in range(len(self._numbers))]
        self._rate_per_s = calls_per_hour / 3600.0
        self._rng = rng
        self._profile = profile or CallerProfile()
        self._count = 0

    def next_gap_s(self) -> float:
        return self._rng.expovariate(self._rate_per_s)

    def next_call(self) -> tuple[str, str, CallerScript]:
        """The number dialled, the caller's number, and what the caller will do."""
        self._count += 1
        number = self._rng.choices(self._numbers, weights=self._weights)[0]
        caller = f"04{self._rng.randrange(70_000_000, 99_999_999)}"
        patience = max(5.0, self._rng.expovariate(1.0 / self._profile.mean_patience_s))
        dtmf = self._menu_choice(number)
        accepts = self._offers_callbacks.get(number, False) and (
            self._rng.random() < self._profile.accept_callback
        )
        if accepts:
            # "1" for a callback once the offer plays, "1" again to confirm the caller ID.
            at = self._profile.accept_after_s
            dtmf = (*dtmf, DtmfPress(at, "1"), DtmfPress(at + 6.0, "1"))
            patience = max(patience, at + 60.0)
        script = CallerScript(
            dtmf=dtmf,
            patience_s=patience,
            talk_s=self._profile.talk_s,
            survey=self._survey_answers(number),
        )
        return number, caller, script

    def _survey_answers(self, number: str) -> SurveyAnswers | None:
        """How this caller would answer the line's survey, if they are sent to it: a score per
        question, or fewer for one who hangs up half-way."""
        questions = self._questions.get(number)
        if not questions:
            return None
        profile, rng = self._profile, self._rng
        answered = len(questions)
        if rng.random() < profile.survey_quit:
            answered = rng.randrange(0, len(questions))
        scores = rng.choices(range(1, 11), weights=profile.survey_weights, k=answered)
        ten_as = "*" if rng.random() < profile.survey_ten_as_star else "10"
        return SurveyAnswers(questions, tuple(scores), ten_as, rng.uniform(0.5, 3.0))

    def _menu_choice(self, number: str) -> tuple[DtmfPress, ...]:
        """Most callers answer a line's menu a few seconds in; the rest let it time out."""
        options = self._menu_digits.get(number)
        if not options or self._rng.random() < self._profile.ignore_menu:
            return ()
        at = self._profile.menu_press_s + self._rng.uniform(0.0, 3.0)
        return (DtmfPress(at, self._rng.choice(options)),)
