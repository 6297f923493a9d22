"""The simulated world's trunk: the endpoint the engine's dial template goes out through is the
one the emulated PBX puts the escalation points' phones behind."""

from __future__ import annotations

import pytest

from acd.simulation import trunk_of


@pytest.mark.unit
@pytest.mark.parametrize(
    ("dial", "trunk"),
    [
        ("PJSIP/{e164}@trunk", ("PJSIP", "trunk")),
        ("PJSIP/trunk/sip:{e164}@sip.example.net:5060", ("PJSIP", "trunk")),
        ("PJSIP/cb{digits}", None),  # an endpoint per number: no trunk
        ("PJSIP/{e164}@{digits}", None),
    ],
)
def test_the_trunk_of_a_dial_template(dial: str, trunk: tuple[str, str] | None) -> None:
    assert trunk_of(dial) == trunk
