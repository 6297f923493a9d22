"""The base of every config model, and helpers the model modules share."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from acd.settings.problems import field_error


class ConfigModel(BaseModel):
    # Frozen: settings never change after start.  Extra keys forbidden: a typo such as
    # ``nmbers`` must be refused, not silently ignored.
    # Inputs hidden from the errors' text: a value may be a password (acd.settings.problems
    # quotes back only what is safe).
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


def listed_twice(items: tuple[str, ...], field: str) -> None:
    seen: set[str] = set()
    for item in items:
        if item in seen:
            raise field_error(field, f"{item!r} is listed twice")
        seen.add(item)
