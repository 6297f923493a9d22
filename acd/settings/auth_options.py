"""``acd.yaml``'s ``auth`` section: sessions, login lockout, origins, ``/metrics``.

Every key has a secure default, so the section is optional.  Users and tokens are not
configured here: they live in the database (``acd users``, ``acd tokens``)."""

from __future__ import annotations

import re
from typing import Literal, Self

from pydantic import field_validator, model_validator

from acd.settings.base import ConfigModel
from acd.settings.fields import Count, CountOrZero, Seconds
from acd.settings.problems import field_error

ORIGIN = re.compile(r"^https?://[^/\s]+$")


class AuthSettings(ConfigModel):
    # A browser session ends after this long without a request, and after absolute_s at most.
    session_idle_s: Seconds = 30 * 60.0
    session_absolute_s: Seconds = 12 * 3600.0
    # The session cookie's Secure flag: "auto" sets it when the request came over TLS.
    cookie_secure: Literal["auto", "always", "never"] = "auto"
    # Failed logins per username and per address within failure_window_s before a lockout of
    # lockout_s.  An address may fail more often: many people may share one (a NAT).
    max_failures_per_user: Count = 5
    max_failures_per_address: Count = 20
    failure_window_s: Seconds = 15 * 60.0
    lockout_s: Seconds = 15 * 60.0
    # Origins besides the API's own that browsers may send state-changing requests from
    # (a supervisor UI served elsewhere), as scheme://host[:port].
    allowed_origins: tuple[str, ...] = ()
    # "token": /metrics needs a bearer token with the metrics scope (Prometheus'
    # authorization: credentials_file); "open": anyone who reaches the port may scrape it.
    metrics: Literal["token", "open"] = "token"
    # The audit log (who did what, who listened to which recording) is kept this many days,
    # then deleted by an hourly sweep with the expired sessions; 0 keeps it for ever.
    audit_keep_days: CountOrZero = 365

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, origins: tuple[str, ...]) -> tuple[str, ...]:
        for origin in origins:
            if not ORIGIN.match(origin):
                raise ValueError(
                    f"{origin!r} is not an origin: scheme://host[:port], such as "
                    "https://supervisor.example.org, without a path"
                )
        return origins

    @model_validator(mode="after")
    def _idle_within_absolute(self) -> Self:
        if self.session_idle_s > self.session_absolute_s:
            raise field_error(
                "session_idle_s",
                f"must not exceed session_absolute_s ({self.session_absolute_s:g})",
            )
        return self
