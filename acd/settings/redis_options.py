"""``acd.yaml``, ``redis:``: the shared state of several engine nodes (docs/architecture.md,
"Several nodes").  Absent, the engine runs as one node with its state in memory.

    redis:
      url: redis://10.0.0.5:6379/0    # rediss:// for TLS; no password in it
      node_id: node-a                  # unique per engine node
      # password: from ACD_REDIS__PASSWORD
      # username: acd                   # a Redis ACL user, if any
"""

from __future__ import annotations

import re
from typing import Annotated, Self
from urllib.parse import quote

from pydantic import AfterValidator, SecretStr, model_validator

from acd.settings.base import ConfigModel
from acd.settings.fields import Identifier, Seconds, Text
from acd.settings.problems import field_error
from foundation.redact import has_userinfo, redact_url


def _redis_url(value: str) -> str:
    if not re.fullmatch(r"rediss?://[^/\s]+(/[0-9]{1,2})?", value):
        raise ValueError(
            f"{redact_url(value)!r} is not a redis:// or rediss:// URL "
            "(such as redis://127.0.0.1:6379/0)"
        )
    if has_userinfo(value):
        raise ValueError(
            f"{redact_url(value)!r} holds a user name or password: put the URL without them, "
            "and set redis.username and redis.password (ACD_REDIS__PASSWORD)"
        )
    return value


RedisUrl = Annotated[str, AfterValidator(_redis_url)]
# Redis Cluster keeps keys with one {hash tag} in one slot: every script's keys share it.
KeyPrefix = Annotated[str, AfterValidator(lambda v: _prefix(v))]


def _prefix(value: str) -> str:
    if not re.fullmatch(r"\{[A-Za-z0-9_.-]{1,32}\}:", value):
        raise ValueError(f"{value!r} is not a key prefix of the form {{name}}: (such as {{acd}}:)")
    return value


class RedisSettings(ConfigModel):
    url: RedisUrl
    node_id: Identifier
    username: Text | None = None
    password: SecretStr | None = None  # SecretStr: never printed in logs or reprs
    key_prefix: KeyPrefix = "{acd}:"
    # The node's lease in Redis: renewed every lease_renew_s; a node not renewed for
    # lease_ttl_s is taken as gone and its reservations are released.
    lease_ttl_s: Seconds = 15.0
    lease_renew_s: Seconds = 5.0
    # An agent's desk request (close, transfer, ...) for a call another node holds is
    # forwarded to that node (acd.desk_forwarding); past this, the agent gets 503.
    forward_timeout_s: Seconds = 2.0

    @model_validator(mode="after")
    def _renew_within_ttl(self) -> Self:
        if not self.lease_renew_s < self.lease_ttl_s:
            raise field_error(
                "lease_renew_s",
                f"must be shorter than lease_ttl_s ({self.lease_ttl_s:g}), not "
                f"{self.lease_renew_s:g}",
            )
        return self

    def client_url(self) -> str:
        """The URL with the credentials in it, for the client only: never log it."""
        if self.password is None and self.username is None:
            return self.url
        scheme, rest = self.url.split("://", 1)
        user = quote(self.username or "", safe="")
        secret = "" if self.password is None else quote(self.password.get_secret_value(), safe="")
        return f"{scheme}://{user}:{secret}@{rest}"
