"""Routing configuration from plain data (parsed YAML or JSON) to a validated RoutingConfig.

The shape, as it would sit in a ``routing.yaml``::

    default:                      # optional: for every line code not listed below
      policy: longest_idle
    line_codes:
      "Wonen en energie":
        policy: most_proficient   # longest_idle (default), most_proficient, fewest_contacts,
                                  # least_talk_time, round_robin
        weight: 2                 # its waiting time counts double against other line codes
        steps:
          - {after_s: 0, min_level: 4}
          - {after_s: 30}
          - {after_s: 90, fallback: {"1700 Andere Vragen": 1}, priority: 2}

Every mistake is refused with its key, as :class:`skills.errors.RoutingConfigError` (a ValueError),
so the settings loader can report it with the file name like any other problem.  Unknown keys
are refused: a misspelt ``min_levle`` must not silently mean "any level".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from foundation.errors import RoutingConfigError
from skills.model import LineCodeRouting, RoutingConfig, Step

_STEP_KEYS = frozenset({"after_s", "min_level", "fallback", "priority", "skip_if_no_agents"})
_ROUTING_KEYS = frozenset({"steps", "policy", "weight"})
_TOP_KEYS = frozenset({"default", "line_codes"})


def routing_config_from_data(data: object) -> RoutingConfig:
    top = _mapping(data, ())
    _no_unknown_keys(top, _TOP_KEYS, ())
    default = LineCodeRouting()
    if "default" in top:
        default = _line_code_routing(top["default"], ("default",))
    line_codes = _mapping(top.get("line_codes", {}), ("line_codes",))
    routing = {
        _name(name, ("line_codes",)): _line_code_routing(entry, ("line_codes", name))
        for name, entry in line_codes.items()
    }
    try:
        return RoutingConfig(routing, default)
    except RoutingConfigError as exc:
        raise exc.under("line_codes") from None


def _line_code_routing(data: object, path: tuple[str | int, ...]) -> LineCodeRouting:
    entry = _mapping(data, path)
    _no_unknown_keys(entry, _ROUTING_KEYS, path)
    kwargs: dict[str, Any] = {k: v for k, v in entry.items() if k != "steps"}
    if "steps" in entry:
        steps = entry["steps"]
        if not isinstance(steps, list | tuple):
            raise RoutingConfigError((*path, "steps"), "must be a list of steps")
        kwargs["steps"] = tuple(_step(s, (*path, "steps", i)) for i, s in enumerate(steps))
    try:
        return LineCodeRouting(**kwargs)
    except RoutingConfigError as exc:
        raise exc.under(*path) from None


def _step(data: object, path: tuple[str | int, ...]) -> Step:
    entry: dict[str, Any] = dict(_mapping(data, path))
    _no_unknown_keys(entry, _STEP_KEYS, path)
    if "after_s" not in entry:
        reason = "is required: the seconds of waiting from which the step applies"
        raise RoutingConfigError((*path, "after_s"), reason)
    if "fallback" in entry:
        entry["fallback"] = _mapping(entry["fallback"], (*path, "fallback"))
    if not isinstance(entry.get("skip_if_no_agents", True), bool):
        raise RoutingConfigError((*path, "skip_if_no_agents"), "must be true or false")
    try:
        return Step(**entry)
    except RoutingConfigError as exc:
        raise exc.under(*path) from None


def _mapping(data: object, path: tuple[str | int, ...]) -> Mapping[str, object]:
    if not isinstance(data, Mapping):
        raise RoutingConfigError(path, f"must be a mapping, got {type(data).__name__}")
    for key in data:
        _name(key, path)
    return data


def _name(key: object, path: tuple[str | int, ...]) -> str:
    if not isinstance(key, str) or not key:
        raise RoutingConfigError(path, f"keys must be non-empty text, got {key!r}")
    return key


def _no_unknown_keys(
    entry: Mapping[str, object], known: frozenset[str], path: tuple[str | int, ...]
) -> None:
    for key in entry:
        if key not in known:
            expected = ", ".join(sorted(known))
            raise RoutingConfigError((*path, key), f"unknown key; expected one of {expected}")
