"""Listening sessions (``acd.yaml``, key ``quality``): what a recording is scored on, and how
much disk the engine may use for the recordings it serves to browsers.

Each criterion is scored on a scale from 1 to ``scale_max`` (5 by default: a five-point scale
is what call-quality rubrics commonly use; coarse enough that two scorers listening together
agree, fine enough to show a trend).  The criteria default to the four of issue 15 (greeting,
correctness, completeness, tone); a criterion's ``id`` is what its scores are stored under, so
keep it when rewording the labels.
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from acd.settings.base import ConfigModel
from acd.settings.fields import Identifier, Text
from acd.settings.problems import field_error


class CriterionSettings(ConfigModel):
    id: Identifier
    label_nl: Text
    label_en: Text


def _default_criteria() -> tuple[CriterionSettings, ...]:
    labels = (
        ("greeting", "Begroeting", "Greeting"),
        ("correctness", "Correctheid", "Correctness"),
        ("completeness", "Volledigheid", "Completeness"),
        ("tone", "Toon", "Tone"),
    )
    return tuple(CriterionSettings(id=i, label_nl=nl, label_en=en) for i, nl, en in labels)


class QualitySettings(ConfigModel):
    criteria: tuple[CriterionSettings, ...] = Field(default_factory=_default_criteria, min_length=1)
    scale_max: int = Field(default=5, ge=2, le=10)
    # The recordings fetched from Asterisk for the browsers are kept on local disk up to this
    # size (least recently played dropped first): a seek or a replay does not fetch again.
    audio_cache_mb: int = Field(default=256, ge=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        seen: set[str] = set()
        for index, criterion in enumerate(self.criteria):
            if criterion.id in seen:
                raise field_error(("criteria", index, "id"), f"{criterion.id!r} is listed twice")
            seen.add(criterion.id)
        return self
