"""A small valid config directory that each test spoils in one place."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

LINE_CODES = """\
line_codes:
  - {name: "1700 Andere Vragen", description: "General questions"}
  - {name: "1700 Belastingen"}
"""
LINES = """\
lines:
  - {id: "1700", name: "1700 Vlaamse overheid", numbers: ["1700"],
     line_codes: ["1700 Andere Vragen", "1700 Belastingen"]}
  - {id: "1701", name: "Sectorlijn Onderwijs", numbers: ["1701"],
     line_codes: ["1700 Belastingen"]}
"""
AGENTS = """\
agents:
  - {id: "1001", name: "An Peeters", endpoint: "PJSIP/1001", line_codes: ["1700 Andere Vragen"]}
  - {id: "1002", name: "Tom Janssens", endpoint: "PJSIP/1002", line_codes: ["1700 Belastingen"]}
"""
ESCALATION_POINTS = """\
escalation_points:
  - {id: anb-jacht, editorial_title: "ANB - Team Jacht", phone: "02 553 21 00",
     reachability: {mon: ["09:00-12:00"]}, line_codes: ["1700 Andere Vragen"]}
  - {id: vlabel, editorial_title: "Vlaamse Belastingdienst", email: "vlabel@example.org",
     line_codes: ["1700 Belastingen"]}
"""
VALID = {
    "line_codes.yaml": LINE_CODES,
    "lines.yaml": LINES,
    "agents.yaml": AGENTS,
    "escalation_points.yaml": ESCALATION_POINTS,
}

WriteConfig = Callable[..., Path]


@pytest.fixture
def write_config(tmp_path: Path) -> WriteConfig:
    """``write_config({"lines.yaml": text})`` -> ``tmp_path/config`` holding the valid files,
    with the ones given replaced (``None`` leaves a file out)."""

    def write(files: dict[str, str | None] | None = None) -> Path:
        config_dir = tmp_path / "config"
        config_dir.mkdir(exist_ok=True)
        for name, text in {**VALID, **(files or {})}.items():
            if text is not None:
                (config_dir / name).write_text(text, encoding="utf-8")
        return config_dir

    return write
