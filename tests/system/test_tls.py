"""HTTPS from a configured certificate and key, and plain HTTP beyond loopback only on purpose
(issue 12, item 5).  The certificate is a self-signed one made by the openssl CLI for the test;
the client is a real TLS client that trusts only it."""

from __future__ import annotations

import logging
import ssl
import subprocess
from pathlib import Path

import aiohttp
import pytest

from acd.http_server import bind_listener
from acd.settings import Settings, load_settings
from foundation.errors import ConfigErrors
from tests.system.harness import CONFIG, system


def self_signed(directory: Path, name: str = "acd") -> tuple[Path, Path]:
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def settings_with(**http: str) -> Settings:
    return load_settings(CONFIG, env={}, overrides={f"http.{k}": v for k, v in http.items()})


def problems(**http: str) -> list[str]:
    with pytest.raises(ConfigErrors) as refused:
        settings_with(**http)
    return [str(error) for error in refused.value.errors]


async def test_the_api_is_served_over_https_with_the_configured_certificate(tmp_path: Path):
    cert, key = self_signed(tmp_path)
    tls = {"http.tls_cert": str(cert), "http.tls_key": str(key)}
    async with system(tmp_path, overrides=tls) as s:
        url = s.engine.http_url
        assert url is not None
        assert url.startswith("https://127.0.0.1:")
        trusting = ssl.create_default_context(cafile=str(cert))
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{url}/healthz", ssl=trusting) as r:
                assert r.status == 200
                assert (await r.json())["ari_connected"] is True
            # A client that does not trust the certificate is refused by TLS, not served.
            with pytest.raises(aiohttp.ClientConnectorCertificateError):
                await session.get(f"{url}/healthz")
            # Plain HTTP to the HTTPS port gets no API answer.
            with pytest.raises(aiohttp.ClientError):
                await session.get(url.replace("https://", "http://") + "/healthz")


def test_listening_beyond_loopback_without_tls_is_refused_in_one_line():
    assert problems(listen="0.0.0.0:8080") == [
        "command line: http.listen: 0.0.0.0 is reachable beyond this machine: set tls_cert "
        "and tls_key to serve HTTPS, or allow_plain_http: true to serve plain HTTP there on "
        "purpose"
    ]


def test_plain_http_beyond_loopback_on_purpose_logs_a_warning(
    caplog: pytest.LogCaptureFixture,
):
    settings = settings_with(listen="0.0.0.0:0", allow_plain_http="true")
    with caplog.at_level(logging.WARNING, logger="acd.http_server"):
        bind_listener(settings).close()
    (warning,) = caplog.records
    assert "plain HTTP beyond loopback" in warning.getMessage()


def test_loopback_without_tls_needs_nothing(caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.WARNING):
        bind_listener(settings_with(listen="127.0.0.1:0")).close()
    assert caplog.records == []


def test_certificate_and_key_are_checked_with_the_config(tmp_path: Path):
    cert, key = self_signed(tmp_path)
    other_cert, other_key = self_signed(tmp_path, "other")
    (one,) = problems(tls_cert=str(cert))
    assert one.endswith("http.tls_key: is needed too: set both tls_cert and tls_key, or neither")
    missing = tmp_path / "nope.key"
    assert problems(tls_cert=str(cert), tls_key=str(missing)) == [
        f"command line: http.tls_key: {str(missing)!r} is not a file"
    ]
    (mismatch,) = problems(tls_cert=str(cert), tls_key=str(other_key))
    assert mismatch.startswith(f"command line: http.tls_cert: {str(cert)!r} with key")
    assert "does not load" in mismatch
    (not_pem,) = problems(tls_cert=str(CONFIG / "acd.yaml"), tls_key=str(key))
    assert "does not load" in not_pem
    assert other_cert.exists()
