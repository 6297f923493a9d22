"""The broken example in fixtures/broken is refused with every one of its mistakes, in order."""

from __future__ import annotations

from pathlib import Path

import pytest

from acd.settings import check_config
from foundation.errors import ConfigErrors

BROKEN = Path(__file__).parent / "fixtures" / "broken"


def test_every_mistake_reported_once_in_file_order() -> None:
    with pytest.raises(ConfigErrors) as refused:
        check_config(BROKEN, env={})
    assert str(refused.value).splitlines() == [
        "broken/acd.yaml: ari.url: '127.0.0.1:8088' is not an http:// or https:// URL",
        "broken/acd.yaml: http.listen: 'localhost' is not host:port (such as 127.0.0.1:8080)",
        "broken/acd.yaml: engine.ring_timeout_s: 'abc' is not a number",
        "broken/acd.yaml: engine: unknown key 'wrap_up'",
        "broken/acd.yaml: log_level: 'LOUD' is not a log level"
        " (DEBUG, INFO, WARNING, ERROR, CRITICAL)",
        "broken/line_codes.yaml: line_codes[2].name: '1700 Andere Vragen'"
        " is already defined at line_codes[0]",
        "broken/lines.yaml: lines[0].line_codes[1]: '1700 Wonen' is not defined in line_codes.yaml",
        "broken/lines.yaml: lines[1]: unknown key 'nmbers'",
        "broken/lines.yaml: lines[2].numbers[0]: '17OO' is not a dialable number",
        "broken/lines.yaml: lines[3].numbers[1]: '1700' is already a number at lines[0].numbers[0]",
        "broken/lines.yaml: lines[4].default_line_code: '1700 Andere Vragen'"
        " is not one of the line's line_codes",
        "broken/agents.yaml: agents[1].endpoint: '1002' is not an endpoint of the form"
        " TECH/resource (such as PJSIP/1001)",
        "broken/agents.yaml: agents[1].line_codes['1700 Belastingen']: must be at most 5, not 9",
        "broken/agents.yaml: agents[2].endpoint: 'PJSIP/1001' is already the endpoint of agents[0]",
        "broken/agents.yaml: agents[2].line_codes['1700 Wonen']: '1700 Wonen'"
        " is not defined in line_codes.yaml",
    ]
