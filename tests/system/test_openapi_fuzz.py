"""The API fuzzed from its own description: schemathesis generates requests for every
operation of ``/api/openapi.json`` (valid ones and, in its negative mode, ones that break the
schema), sends them to the running engine (against the emulator) as an admin token, and checks
that no answer is a 5xx and every answer matches the schema it is described with.

Bounded and repeatable: a few examples per operation and mode, derandomized (the same requests
on every run, so CI is stable), no shrinking.  The requests are sent from a worker thread; the
engine's loop serves them meanwhile, its virtual clock held still while the thread works.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, assume, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from acd.auth.model import Role, Scope
from tests.system.harness import system

pytestmark = pytest.mark.system

EXAMPLES = 10  # per operation and pass: ~30 operations, 2-3 passes, about 15 s
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def fuzz(
    document: dict[str, Any], base_url: str, token: str, keep_token: int, known: dict[str, str]
) -> list[str]:
    """Every operation in both modes, and once more with ``known`` path parameters (ids that
    exist, so the answers are more than 404s); what failed, one line each (empty: nothing)."""
    schema = schemathesis.openapi.from_dict(document)
    headers = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []
    with requests.Session() as http:
        for result in schema.get_all_operations():
            if isinstance(result, Err):  # the description itself is wrong somewhere
                failures.append(f"invalid description: {result.err()}")
                continue
            operation = result.ok()
            described = document["paths"][operation.path][operation.method.lower()]
            passes: list[tuple[GenerationMode, dict[str, str] | None]] = [
                (GenerationMode.POSITIVE, None)
            ]
            if "parameters" in described or "requestBody" in described:  # something to break
                passes.append((GenerationMode.NEGATIVE, None))
            names = [p["name"] for p in described.get("parameters", []) if p["in"] == "path"]
            if names and set(names) <= set(known):
                passes.append((GenerationMode.POSITIVE, {n: known[n] for n in names}))
            for mode, path in passes:

                def send(case: Case[Any]) -> None:
                    # Revoking the run's own token would turn every later request into a 401.
                    assume(case.path_parameters != {"token_id": str(keep_token)})
                    case.call_and_validate(
                        base_url=base_url, session=http, headers=headers, checks=CHECKS
                    )

                run: Callable[[], None] = settings(
                    max_examples=EXAMPLES,
                    derandomize=True,
                    database=None,
                    deadline=None,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )(
                    given(case=operation.as_strategy(generation_mode=mode, path_parameters=path))(
                        send
                    )
                )
                try:
                    run()
                except (
                    Exception,
                    BaseExceptionGroup,
                ) as exc:  # each operation's, not the first only
                    first = str(exc).strip().splitlines()[:12]
                    where = f"{mode.value}{' ' + str(path) if path else ''}"
                    failures.append(f"{operation.label} [{where}]: " + " | ".join(first))
    return failures


async def test_no_request_built_from_the_description_gets_a_5xx_or_an_off_schema_answer(
    tmp_path: Path,
) -> None:
    async with system(tmp_path) as s:
        url = s.engine.http_url or ""
        s.login("1001")  # an agent with state to read and change
        async with aiohttp.ClientSession() as http, http.get(f"{url}/api/openapi.json") as r:
            assert r.status == 200  # public: read before any credentials
            document = await r.json()
        assert s.engine.auth is not None
        (own,) = await s.engine.auth.tokens()
        now = s.engine.clock.now()
        decoy, _ = await s.engine.auth.add_token("decoy", frozenset({Scope.AGENTS_READ}), now)
        await s.engine.auth.add_user("sam", "a long password!", Role.SUPERVISOR, now)
        callback, _ = await s.engine.callbacks.request(
            "+3212345678", "1700", "1700 Andere Vragen", None, now, now + timedelta(days=1), "fz"
        )
        known = {
            "agent_id": "1001",
            "callback_id": callback.id,
            "point_id": "anb-jacht",  # tests/system/config/escalation_points.yaml
            "username": "sam",
            "token_id": str(decoy.id),
        }
        started = time.monotonic()
        loop = asyncio.get_running_loop()
        failures = await loop.run_in_executor(None, fuzz, document, url, s.token, own.id, known)
        took = time.monotonic() - started
        # The checks can fail: an answer off its described schema is found.
        doctored = _only(document, "/api/agents/{agent_id}")
        doctored["components"]["schemas"]["AgentOut"]["properties"]["id"] = {"type": "integer"}
        caught = await loop.run_in_executor(None, fuzz, doctored, url, s.token, own.id, known)
    assert failures == [], "\n".join(failures)
    assert caught, "the doctored schema was not caught"
    assert all("/api/agents/{agent_id}" in line for line in caught), caught
    assert any("Response violates schema" in line for line in caught), caught
    print(f"schemathesis: {len(document['paths'])} paths fuzzed in {took:.1f} s")


def _only(document: dict[str, Any], path: str) -> dict[str, Any]:
    copied: dict[str, Any] = json.loads(json.dumps(document))
    copied["paths"] = {path: {"get": copied["paths"][path]["get"]}}
    return copied
