"""IP addresses and networks named in config, such as the reverse proxies the HTTP API
believes (``http.trusted_proxies``)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(entries: Sequence[str]) -> tuple[Network, ...]:
    """``10.0.0.5``, ``10.0.0.0/24`` or ``::1``; raises ValueError naming a bad entry."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            problem = f"{entry!r} is not an IP address or network (such as 10.0.0.0/24)"
            raise ValueError(problem) from None
    return tuple(networks)


def is_trusted(address: str | None, networks: Sequence[Network]) -> bool:
    if address is None:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)
