"""The request and response models of the engine's own routes, one module per route group
(:mod:`.agents`, :mod:`.desk`, :mod:`.escalations`, :mod:`.monitor`, :mod:`.nodes`,
:mod:`.ratings`, :mod:`.recordings`): the handlers validate bodies with them
(:func:`foundation.json_body.parse_body`) and :mod:`acd.openapi` describes the API from them
(through the route table, :mod:`acd.auth.policy`).  Responses are built by the handlers as
before; the models say what they hold (``extra`` keys allowed, so a new key is not a broken
promise) and the schemathesis run checks every response against them."""
