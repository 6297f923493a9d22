"""The simulated PBX's configuration: dialplan numbers, endpoints and their behaviours, sounds.

Built in Python or from plain YAML-friendly data with :func:`config_from_dict` (what ``acd
emulator`` reads); :func:`reference_config` is the setup the recorded traces were taken with
(``shared/asterisk/README.md``), used by the fidelity tests and as the demo's default.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from emulator.scripts import Behaviour, EndpointBehaviour, behaviour_from_dict
from emulator.sounds import SoundLibrary
from foundation.errors import ConfigError


@dataclass(frozen=True, slots=True)
class StasisTarget:
    """A dialplan extension that runs ``Stasis(app, args...)``."""

    app: str
    args: tuple[str, ...] = ()

    @property
    def app_data(self) -> str:
        return ",".join((self.app, *self.args))

    @classmethod
    def parse(cls, app_data: str) -> StasisTarget:
        """From a ``Stasis()`` argument string such as ``"acd,inbound,1700"``."""
        app, *args = app_data.split(",")
        if not app:
            raise ValueError("the Stasis application name is empty")
        return cls(app, tuple(args))


@dataclass(frozen=True, slots=True)
class EndpointSpec:
    """A SIP endpoint the PBX can dial (or that calls in, like ``caller``).

    A trunk is an endpoint dialled with a number, ``PJSIP/+3211123456@trunk``: ``numbers``
    says how the phone behind each number behaves; any other number gets ``behaviour``."""

    resource: str
    behaviour: Behaviour = field(default_factory=EndpointBehaviour.answer)
    online: bool = True
    technology: str = "PJSIP"
    context: str = "from-agent"
    numbers: Mapping[str, Behaviour] = field(default_factory=dict)

    def behaviour_for(self, number: str | None) -> Behaviour:
        """How the far end behaves when ``number`` is dialled through this endpoint."""
        if number is None:
            return self.behaviour
        return self.numbers.get(number, self.behaviour)

    @property
    def key(self) -> str:
        return f"{self.technology}/{self.resource}"


#: ``Local/<exten>@<context>`` targets that run a dialplan application which rejects the call.
DEFAULT_LOCAL_TARGETS: Mapping[str, Mapping[str, str]] = {
    "agents": {"busy": "Busy", "congestion": "Congestion"},
}


@dataclass(frozen=True, slots=True)
class PbxConfig:
    dialplan: Mapping[str, StasisTarget] = field(default_factory=dict)
    endpoints: Sequence[EndpointSpec] = ()
    local_targets: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: DEFAULT_LOCAL_TARGETS
    )
    inbound_context: str = "from-caller"
    caller_endpoint: str = "caller"
    sounds: SoundLibrary = field(default_factory=SoundLibrary)
    asterisk_id: str = "02:fc:00:00:00:01"
    seed: int = 0
    username: str = "asterisk"
    password: str = "asterisk"
    #: Wall-clock time at loop time zero; ``None`` means "now" when the PBX starts.
    wall_start: datetime | None = None
    #: Where stopped recordings are written as files (silence), as Asterisk writes them to its
    #: spool's ``recording/``; ``None``: recordings are listed and timed but no file is made.
    recordings_dir: Path | None = None

    def with_endpoint(self, spec: EndpointSpec) -> PbxConfig:
        others = [e for e in self.endpoints if e.key != spec.key]
        return replace(self, endpoints=(*others, spec))


def reference_config() -> PbxConfig:
    """The setup the traces in ``shared/asterisk/ari-traces`` were recorded with."""
    return PbxConfig(
        dialplan={
            "1700": StasisTarget("acd", ("inbound", "1700")),
            "1701": StasisTarget("acd", ("inbound", "1701", "sales")),
            "1702": StasisTarget("acd", ("inbound", "1702", "support")),
        },
        endpoints=(
            EndpointSpec("agent1", EndpointBehaviour.answer(1.0)),
            EndpointSpec("agent2", EndpointBehaviour.answer(3.0, hangup_after_s=3.0)),
            EndpointSpec("agent3", EndpointBehaviour.ring_forever()),
            EndpointSpec("agent4", EndpointBehaviour.busy(0.3)),
            EndpointSpec("caller", online=False, context="from-caller"),
            EndpointSpec("unreach", EndpointBehaviour.unreachable()),
        ),
    )


def config_from_dict(data: Mapping[str, Any], source: str = "<emulator config>") -> PbxConfig:
    """Build a :class:`PbxConfig` from plain data; mistakes raise ConfigError(file, key, why)."""
    known = {
        "dialplan", "endpoints", "inbound_context", "caller_endpoint", "sounds",
        "default_sound_s", "asterisk_id", "seed", "username", "password", "recordings_dir",
        "missing_sounds",
    }  # fmt: skip
    for key in data:
        if key not in known:
            raise ConfigError(source, str(key), "unknown key")
    missing = str(data.get("missing_sounds", "play"))
    if missing not in ("play", "fail"):
        raise ConfigError(source, "missing_sounds", f"must be 'play' or 'fail', not {missing!r}")
    try:
        sounds = SoundLibrary(
            default_s=float(data.get("default_sound_s", 2.0)), missing_fail=missing == "fail"
        )
        extra = {str(k): float(v) for k, v in dict(data.get("sounds") or {}).items()}
    except (TypeError, ValueError) as exc:
        raise ConfigError(source, "sounds", str(exc)) from None
    return PbxConfig(
        dialplan=_dialplan(data.get("dialplan") or {}, source),
        endpoints=_endpoints(data.get("endpoints") or {}, source),
        inbound_context=str(data.get("inbound_context", "from-caller")),
        caller_endpoint=str(data.get("caller_endpoint", "caller")),
        sounds=sounds.with_extra(extra),
        asterisk_id=str(data.get("asterisk_id", "02:fc:00:00:00:01")),
        seed=_int(data, "seed", source),
        username=str(data.get("username", "asterisk")),
        password=str(data.get("password", "asterisk")),
        recordings_dir=Path(data["recordings_dir"]) if data.get("recordings_dir") else None,
    )


def _dialplan(raw: Any, source: str) -> dict[str, StasisTarget]:
    if not isinstance(raw, Mapping):
        raise ConfigError(source, "dialplan", "expected a mapping of number to Stasis target")
    out: dict[str, StasisTarget] = {}
    for number, target in raw.items():
        key = f"dialplan.{number}"
        try:
            if isinstance(target, str):
                out[str(number)] = StasisTarget.parse(target)
            elif isinstance(target, Mapping) and target.get("app"):
                args = tuple(str(a) for a in target.get("args", ()))
                out[str(number)] = StasisTarget(str(target["app"]), args)
            else:
                raise ValueError('expected "app,arg,..." or {app: ..., args: [...]}')
        except ValueError as exc:
            raise ConfigError(source, key, str(exc)) from None
    return out


_ENDPOINT_KEYS = frozenset(
    {"mode", "ring_s", "hangup_after_s", "online", "context", "weights", "talk_s", "numbers"}
)


def _endpoints(raw: Any, source: str) -> tuple[EndpointSpec, ...]:
    if not isinstance(raw, Mapping):
        raise ConfigError(source, "endpoints", "expected a mapping of endpoint to behaviour")
    specs = []
    for name, body in raw.items():
        key = f"endpoints.{name}"
        tech, _, resource = str(name).rpartition("/")
        body = body or {}
        if not isinstance(body, Mapping):
            raise ConfigError(source, key, "expected a mapping")
        for field_name in body:
            if field_name not in _ENDPOINT_KEYS:
                raise ConfigError(source, f"{key}.{field_name}", "unknown key")
        try:
            behaviour = behaviour_from_dict({k: v for k, v in body.items() if k != "numbers"})
        except ValueError as exc:
            raise ConfigError(source, key, str(exc)) from None
        specs.append(
            EndpointSpec(
                resource=resource,
                behaviour=behaviour,
                online=bool(body.get("online", True)),
                technology=tech or "PJSIP",
                context=str(body.get("context", "from-agent")),
                numbers=_numbers(body.get("numbers") or {}, f"{key}.numbers", source),
            )
        )
    return tuple(specs)


def _numbers(raw: Any, key: str, source: str) -> dict[str, Behaviour]:
    """A trunk's numbers: ``{"+3211123456": {mode: busy}, ...}``."""
    if not isinstance(raw, Mapping):
        raise ConfigError(source, key, "expected a mapping of number to behaviour")
    out: dict[str, Behaviour] = {}
    for number, body in raw.items():
        if not isinstance(body, Mapping):
            raise ConfigError(source, f"{key}.{number}", "expected a mapping")
        try:
            out[str(number)] = behaviour_from_dict(body)
        except ValueError as exc:
            raise ConfigError(source, f"{key}.{number}", str(exc)) from None
    return out


def _int(data: Mapping[str, Any], key: str, source: str) -> int:
    try:
        return int(data.get(key, 0))
    except (TypeError, ValueError):
        raise ConfigError(source, key, "expected an integer") from None
