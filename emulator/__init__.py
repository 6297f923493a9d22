"""An ARI emulator: a small simulated PBX behind Asterisk 22's REST paths and WebSocket events.

It is part of the product (the demo, the simulator and the system tests run on it), and it
behaves like the real Asterisk recorded in ``shared/asterisk/``; the engine must never know which
one it talks to.  Deliberate differences are listed in ``docs/emulator.md``.
"""

from emulator.config import (
    EndpointSpec,
    PbxConfig,
    StasisTarget,
    config_from_dict,
    reference_config,
)
from emulator.pbx import Pbx
from emulator.runner import Emulator, run_emulator, serve_emulator
from emulator.scripts import (
    CallerScript,
    DtmfPress,
    EndpointBehaviour,
    Mode,
    RandomBehaviour,
    SurveyAnswers,
)

__all__ = [
    "CallerScript",
    "DtmfPress",
    "Emulator",
    "EndpointBehaviour",
    "EndpointSpec",
    "Mode",
    "Pbx",
    "PbxConfig",
    "RandomBehaviour",
    "StasisTarget",
    "SurveyAnswers",
    "config_from_dict",
    "reference_config",
    "run_emulator",
    "serve_emulator",
]
