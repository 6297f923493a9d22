"""The survey's HTTP route: the agent's "To survey".

    POST /api/agents/{agent_id}/survey    the caller leaves the agent for the line's survey

The agent's own call (policy ``agent.survey``).  The core refuses with 409 ``not_on_call``
when the agent talks to no caller who called in, and ``no_survey`` when the line has none.
"""

from __future__ import annotations

from aiohttp import web

from acd.api import RUNTIME
from acd.engine import inputs as inp


async def to_survey(request: web.Request) -> web.Response:
    agent_id = request.match_info["agent_id"]
    request.app[RUNTIME].submit(inp.SurveyRequested(agent_id))
    return web.json_response({"agent_id": agent_id, "survey": "started"})


def add_survey_routes(app: web.Application) -> None:
    app.router.add_post("/api/agents/{agent_id}/survey", to_survey)
