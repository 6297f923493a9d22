"""The content report: escalations per escalation point with the quality ratings the points
gave them (count and average per criterion), and the same per reporting organisation and
theme (the points' ``reporting_organisation`` / ``reporting_theme``); contact reasons per
line code.

An escalation is a contact that arrived in the period and went to a point: by phone
(``escalation_point``, once the point answered) or by e-mail (``emailed_to``).  Its ratings
count whenever they were given.  A contact reason is the one the agent registered for a
contact that arrived in the period (``Registration.reason``, issue 13's wrap-up), a
callback's conversation included (the citizen's question is answered there); its share is
of the line code's registered contacts, so each line code's shares add up to 1.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from acd.quality.scores import RecordingScore
from acd.quality.surveys import SurveyAnswer
from acd.reports.operational import is_callback_placement
from acd.reports.period import Period
from escalations.model import EscalationPoint
from escalations.ratings import Criterion, Rating
from foundation.contact import ContactRecord, Outcome


@dataclass(frozen=True, slots=True)
class RatingFigures:
    ratings: int
    averages: Mapping[Criterion, float | None]  # None: no rating


@dataclass(slots=True)
class _Sums:
    phone: int = 0
    email: int = 0
    ratings: int = 0
    scores: dict[Criterion, int] = field(default_factory=lambda: dict.fromkeys(Criterion, 0))

    def add_rating(self, rating: Rating) -> None:
        self.ratings += 1
        for criterion in Criterion:
            self.scores[criterion] += rating.scores.of(criterion)

    def __iadd__(self, other: _Sums) -> _Sums:
        self.phone += other.phone
        self.email += other.email
        self.ratings += other.ratings
        for criterion in Criterion:
            self.scores[criterion] += other.scores[criterion]
        return self

    def figures(self) -> RatingFigures:
        return RatingFigures(
            self.ratings,
            {c: (self.scores[c] / self.ratings if self.ratings else None) for c in Criterion},
        )


@dataclass(frozen=True, slots=True)
class PointRow:
    point_id: str
    title: str  # "" for a point no longer configured
    organisation: str
    theme: str
    escalations_phone: int
    escalations_email: int
    rated: RatingFigures


@dataclass(frozen=True, slots=True)
class ThemeRow:
    organisation: str
    theme: str
    points: int
    escalations_phone: int
    escalations_email: int
    rated: RatingFigures


@dataclass(frozen=True, slots=True)
class ReasonRow:
    line_code: str
    reason: str
    contacts: int
    share: float  # of the line code's registered contacts in the period


@dataclass(frozen=True, slots=True)
class SurveyRow:
    """The survey's answers to one question for one line code (the callers' verdict)."""

    line_code: str
    question: str
    answers: int
    mean: float
    low: int  # scores 1-5
    high: int  # scores 9-10


@dataclass(frozen=True, slots=True)
class QualityRow:
    """Listening sessions' scores on one criterion for one agent's recordings of one line
    code (the scores given in the period, whenever the call was)."""

    line_code: str
    agent_id: str
    criterion: str
    recordings: int  # scored recordings
    scores: int  # verdicts (several scorers may score one recording)
    mean: float


@dataclass(frozen=True, slots=True)
class Content:
    points: list[PointRow]
    themes: list[ThemeRow]
    reasons: list[ReasonRow]
    surveys: list[SurveyRow] = field(default_factory=list)
    quality: list[QualityRow] = field(default_factory=list)


def escalations_of(record: ContactRecord) -> list[tuple[str, str]]:
    """(point id, channel) of each escalation of one contact."""
    found = []
    if record.outcome is Outcome.ESCALATED_PHONE and record.escalation_point:
        found.append((record.escalation_point, "phone"))
    if record.emailed_to:
        found.append((record.emailed_to, "email"))
    return found


def survey_rows(period: Period, answers: Iterable[SurveyAnswer]) -> list[SurveyRow]:
    """Answers keyed in the period per line code and question, questions in survey order."""
    scores: dict[tuple[str, str], list[int]] = {}
    order: dict[tuple[str, str], int] = {}
    for answer in answers:
        if not period.start <= answer.answered_at < period.end:
            continue
        key = (answer.line_code, answer.question)
        scores.setdefault(key, []).append(answer.score)
        order[key] = min(order.get(key, answer.position), answer.position)
    return [
        SurveyRow(
            code,
            question,
            len(given),
            sum(given) / len(given),
            sum(1 for s in given if s <= 5),
            sum(1 for s in given if s >= 9),
        )
        for (code, question), given in sorted(
            scores.items(), key=lambda item: (item[0][0], order[item[0]])
        )
    ]


def quality_rows(period: Period, given: Iterable[RecordingScore]) -> list[QualityRow]:
    """Scores given in the period per line code, agent and criterion (criteria in the order
    they were scored in, which is the configured order)."""
    scores: dict[tuple[str, str, str], list[int]] = {}
    recordings: dict[tuple[str, str, str], set[str]] = {}
    order: dict[str, int] = {}
    for verdict in given:
        if not period.start <= verdict.scored_at < period.end:
            continue
        for criterion, score in verdict.scores.items():
            order.setdefault(criterion, len(order))
            key = (verdict.line_code, verdict.agent_id or "", criterion)
            scores.setdefault(key, []).append(score)
            recordings.setdefault(key, set()).add(verdict.recording)
    ordered = sorted(scores, key=lambda key: (key[0], key[1], order[key[2]]))
    return [
        QualityRow(
            *key, len(recordings[key]), len(scores[key]), sum(scores[key]) / len(scores[key])
        )
        for key in ordered
    ]


def content_report(
    period: Period,
    contacts: Iterable[ContactRecord],
    ratings: Iterable[Rating],
    points: Iterable[EscalationPoint],
    *,
    survey_answers: Iterable[SurveyAnswer] = (),
    recording_scores: Iterable[RecordingScore] = (),
) -> Content:
    known = {point.id: point for point in points}
    sums: dict[str, _Sums] = {}
    escalated: set[tuple[str, str]] = set()  # (contact, point): the ratings that count
    reasons: Counter[tuple[str, str]] = Counter()
    for record in contacts:
        if not period.start <= record.arrived_at < period.end:
            continue
        if record.registration is not None:
            reasons[(record.line_code or "", record.registration.reason)] += 1
        if is_callback_placement(record):
            continue
        for point_id, channel in escalations_of(record):
            counted = sums.setdefault(point_id, _Sums())
            if channel == "phone":
                counted.phone += 1
            else:
                counted.email += 1
            escalated.add((record.id, point_id))
    for rating in ratings:
        if (rating.contact_id, rating.point_id) in escalated:
            sums[rating.point_id].add_rating(rating)
    point_rows = []
    themes: dict[tuple[str, str], tuple[_Sums, set[str]]] = {}
    for point_id in sorted(sums):
        point = known.get(point_id)
        organisation = point.reporting_organisation if point else ""
        theme = point.reporting_theme if point else ""
        counted = sums[point_id]
        point_rows.append(
            PointRow(
                point_id,
                point.editorial_title if point else "",
                organisation,
                theme,
                counted.phone,
                counted.email,
                counted.figures(),
            )
        )
        total, members = themes.setdefault((organisation, theme), (_Sums(), set()))
        total += counted
        members.add(point_id)
    theme_rows = [
        ThemeRow(org, theme, len(members), total.phone, total.email, total.figures())
        for (org, theme), (total, members) in sorted(themes.items())
    ]
    return Content(
        point_rows,
        theme_rows,
        reason_rows(reasons),
        survey_rows(period, survey_answers),
        quality_rows(period, recording_scores),
    )


def reason_rows(counts: Mapping[tuple[str, str], int]) -> list[ReasonRow]:
    """Per line code (in order), its reasons, the most given first (ties by name)."""
    per_code: Counter[str] = Counter()
    for (code, _), n in counts.items():
        per_code[code] += n
    ordered = sorted(counts.items(), key=lambda item: (item[0][0], -item[1], item[0][1]))
    return [ReasonRow(code, reason, n, n / per_code[code]) for (code, reason), n in ordered]
