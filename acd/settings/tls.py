"""What the HTTP section's TLS settings need checked before the engine starts: the certificate
and key load, and whether a listen address is reachable beyond this machine."""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator

LOOPBACK_NAMES = ("localhost",)


def _existing_file(path: Path) -> Path:
    if not path.is_file():
        raise ValueError(f"{str(path)!r} is not a file")
    return path


FilePath = Annotated[Path, AfterValidator(_existing_file)]


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A TLS server context serving ``cert`` with ``key`` (TLS 1.2 or later)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


def tls_problem(cert: Path, key: Path) -> str | None:
    """Why ``cert`` and ``key`` cannot serve HTTPS, or None.  The key may be encrypted with no
    password at hand: that is a problem too (the engine starts unattended)."""
    try:
        server_context(cert, key)
    except ssl.SSLError as exc:
        return (
            f"{str(cert)!r} with key {str(key)!r} does not load "
            f"({exc.reason or exc.strerror or exc}): both must be PEM, the key unencrypted "
            "and matching the certificate"
        )
    except OSError as exc:
        return f"cannot read {exc.filename or cert}: {exc.strerror or exc}"
    return None


def is_loopback(host: str) -> bool:
    """Only this machine can reach ``host`` (a listen address)."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything
