"""Which hop of X-Forwarded-For is the client, and which forwarded values are believed."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from aiohttp.test_utils import make_mocked_request
from multidict import CIMultiDict

from acd.forwarded import client_view
from foundation.networks import trusted_networks

PROXIES = trusted_networks(["127.0.0.1", "10.0.0.0/8"])


def request_from(peer: str, headers: list[tuple[str, str]]):
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (
        (peer, 40000) if name == "peername" else default
    )
    return make_mocked_request(
        "GET", "/api/session", headers=CIMultiDict(headers), transport=transport
    )


@pytest.mark.parametrize(
    ("peer", "headers", "view"),
    [
        ("127.0.0.1", [("X-Forwarded-For", "203.0.113.7")], {"remote": "203.0.113.7"}),
        # Past our own proxies, from the right: the first stranger is the client.
        (
            "127.0.0.1",
            [("X-Forwarded-For", "198.51.100.1, 203.0.113.7, 10.0.0.2")],
            {"remote": "203.0.113.7"},
        ),
        # What the client wrote itself, left of what our proxy appended, is not believed.
        ("127.0.0.1", [("X-Forwarded-For", "garbage, 203.0.113.7")], {"remote": "203.0.113.7"}),
        ("127.0.0.1", [("X-Forwarded-For", "203.0.113.7, garbage")], {}),
        # Only proxies all the way: the leftmost is as far as we can see.
        ("127.0.0.1", [("X-Forwarded-For", "10.0.0.9, 10.0.0.2")], {"remote": "10.0.0.9"}),
        # Two header lines are one list.
        (
            "127.0.0.1",
            [("X-Forwarded-For", "203.0.113.7"), ("X-Forwarded-For", "10.0.0.2")],
            {"remote": "203.0.113.7"},
        ),
        (
            "127.0.0.1",
            [("X-Forwarded-Proto", "http, https"), ("X-Forwarded-Host", "acd.example.org:8443")],
            {"scheme": "https", "host": "acd.example.org:8443"},
        ),
        ("127.0.0.1", [("X-Forwarded-Proto", "gopher"), ("X-Forwarded-Host", "a b")], {}),
        # Not one of our proxies: nothing is believed.
        ("192.0.2.1", [("X-Forwarded-For", "203.0.113.7"), ("X-Forwarded-Proto", "https")], {}),
    ],
)
def test_the_client_view(peer, headers, view):
    assert client_view(request_from(peer, headers), PROXIES) == view


def test_a_bad_proxy_entry_is_named():
    with pytest.raises(ValueError, match=re.escape("'10.0.0.300' is not an IP address or")):
        trusted_networks(["10.0.0.300"])
