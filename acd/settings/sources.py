"""Where raw settings come from: YAML files, the environment and command-line overrides.

YAML is read with every plain scalar kept as text (only ``null`` and merge keys are resolved).
YAML 1.1 would otherwise turn ``0123`` into 83 (octal), ``1_700`` into 1700 and ``no`` into
False, silently, and phone numbers and ids are exactly that kind of text.  The models parse the
text into numbers where a number is meant, the same way they parse environment variables.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import UnionType
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel

from acd.settings.models import AcdFile
from acd.settings.problems import Loc
from foundation.errors import ConfigError

ENVIRONMENT = "environment"
COMMAND_LINE = "command line"
ENV_PREFIX = "ACD_"

_KEPT_RESOLVERS = {"tag:yaml.org,2002:null", "tag:yaml.org,2002:merge"}


class _TextLoader(yaml.SafeLoader):
    """SafeLoader without implicit ints, floats, bools and timestamps; refuses duplicate keys."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag in _KEPT_RESOLVERS]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        # PyYAML keeps the last of two equal keys; in a config that hides one of them.
        seen: set[object] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, Hashable) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


def file_label(config_dir: Path, name: str) -> str:
    """How messages name a file: as the operator passed the directory, or, for an absolute
    directory, from its last component (``config/lines.yaml``) so messages stay short."""
    if config_dir.is_absolute():
        return f"{config_dir.name}/{name}" if config_dir.name else name
    return str(config_dir / name)


def read_yaml(path: Path, label: str) -> object:
    """The YAML document in ``path`` (an empty file is an empty mapping)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(label, "", "is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(label, "", f"cannot be read: {exc.strerror}") from None
    try:
        data = yaml.load(text, Loader=_TextLoader)  # a SafeLoader: no arbitrary objects
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = exc.problem or "invalid YAML"
        if exc.context:
            reason += f" ({exc.context})"
        raise ConfigError(label, where, reason) from None
    except yaml.YAMLError as exc:
        raise ConfigError(label, "", f"invalid YAML: {exc}") from None
    return {} if data is None else data


# --- environment and overrides --------------------------------------------------------------


SettingPath = tuple[str, ...]  # ("ari", "url"), ("log_level",)


@dataclass(frozen=True, slots=True)
class Origin:
    """Which environment variable or override gave a setting, for messages about its value."""

    source: str  # ENVIRONMENT or COMMAND_LINE
    key: str  # ACD_ARI__URL or ari.url


def _settable(
    model: type[BaseModel] = AcdFile, prefix: SettingPath = ()
) -> dict[SettingPath, bool]:
    """Every acd.yaml setting that the environment and the command line may set, mapped to
    whether it is a list (given there as comma-separated text).  Nested sections nest:
    ``engine.offer_delay_s.busy`` is ``ACD_ENGINE__OFFER_DELAY_S__BUSY``."""
    settable: dict[SettingPath, bool] = {}
    for name, field in model.model_fields.items():
        section = _section_model(field.annotation)
        if section is not None:
            settable.update(_settable(section, (*prefix, name)))
        else:
            settable[(*prefix, name)] = get_origin(field.annotation) in (tuple, list)
    return settable


def _section_model(annotation: object) -> type[BaseModel] | None:
    """The section model of a field: ``X`` for ``X`` or an optional section ``X | None`` (such as
    ``mail``, which a variable can then create: ``ACD_MAIL__SMTP__PASSWORD``)."""
    candidates = get_args(annotation) if isinstance(annotation, UnionType) else (annotation,)
    models = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
    return models[0] if len(models) == 1 else None


SETTABLE = _settable()


def env_name(path: SettingPath) -> str:
    return ENV_PREFIX + "__".join(str(part) for part in path).upper()


def _unknown(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return f"unknown setting (did you mean {close[0]}?)" if close else "unknown setting"


def _looks_like_setting(rest: str) -> bool:
    # ACD_* variables that are not settings (a script's ACD_HOME, say) are left alone; but a
    # double underscore or a section name at the start means one was meant, so a typo such as
    # ACD_ARI_URL is reported instead of ignored.
    return "__" in rest or any(rest.startswith(path[0]) for path in SETTABLE)


def layer_values(
    env: Mapping[str, str], overrides: Mapping[str, str], errors: list[ConfigError]
) -> list[tuple[SettingPath, str, Origin]]:
    """The settings the environment and then the overrides give, in order of precedence."""
    values: list[tuple[SettingPath, str, Origin]] = []
    env_names = [env_name(path) for path in SETTABLE]
    for name in sorted(env):
        rest = name.removeprefix(ENV_PREFIX).lower()
        if not name.startswith(ENV_PREFIX) or not _looks_like_setting(rest):
            continue
        path = tuple(rest.split("__"))
        if path not in SETTABLE:
            errors.append(ConfigError(ENVIRONMENT, name, _unknown(name, env_names)))
            continue
        values.append((path, env[name], Origin(ENVIRONMENT, name)))
    dotted = [".".join(str(part) for part in path) for path in SETTABLE]
    for key, value in overrides.items():
        path = tuple(key.split("."))
        if path not in SETTABLE:
            errors.append(ConfigError(COMMAND_LINE, key, _unknown(key, dotted)))
            continue
        values.append((path, value, Origin(COMMAND_LINE, key)))
    return values


def apply_layers(
    data: object, values: list[tuple[SettingPath, str, Origin]]
) -> tuple[object, dict[Loc, Origin]]:
    """``data`` (acd.yaml's content) with the layered values set over it, and where each came
    from.  A section that is not a mapping in the file is left alone: that mistake is reported
    against the file."""
    if not isinstance(data, dict):
        return data, {}
    merged = copy.deepcopy(data)
    origins: dict[Loc, Origin] = {}
    for path, value, origin in values:
        *sections, key = path
        target: object = merged
        for section in sections:
            if not isinstance(target, dict):
                break
            if target.get(section) is None:
                target[section] = {}
            target = target[section]
        if not isinstance(target, dict):
            continue
        target[key] = _split_list(value) if SETTABLE[path] else value
        origins[path] = origin
    return merged, origins


def _split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]
