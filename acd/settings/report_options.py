"""Scheduled reports (``acd.yaml``, section ``reports``, optional): each schedule's frequency,
the period each report covers, its format and where it goes (a folder, mail recipients via
the escalation mail outbox, or both).  See docs/sla.md, "Reports".

    reports:
      schedules:
        - name: weekly-1700
          every: 1w              # N days (d), weeks (w) or months (mo): 1d, 2w, 1mo, 3mo
          starting: 2027-01-04   # the first period starts that day (a Monday: Mon-Sun weeks)
          run_at: "06:00"        # Brussels time, on the day after each period
          interval: 1d           # the rows within the period
          format: html           # csv, html or xlsx
          folder: var/reports
          mail_to: [manager@example.org]
"""

from __future__ import annotations

import re
from datetime import date, time
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from acd.settings.base import ConfigModel, listed_twice
from acd.settings.fields import Identifier
from acd.settings.mail_options import MailAddress
from acd.settings.problems import field_error

_EVERY = re.compile(r"^([1-9][0-9]{0,2})(d|w|mo)$")


class ReportScheduleConfig(ConfigModel):
    name: Identifier
    every: str
    starting: date
    run_at: time = time(6, 0)
    interval: Literal["30m", "1h", "1d", "1w", "1mo"] = "1d"
    format: Literal["csv", "html", "xlsx"] = "html"
    folder: Path | None = None  # relative: to the directory the engine runs in
    mail_to: tuple[MailAddress, ...] = ()

    @field_validator("every")
    @classmethod
    def _every(cls, value: str) -> str:
        if not _EVERY.match(value):
            raise ValueError(
                f"{value!r}: N days, weeks or months, such as 1d, 2w, 1mo (N from 1 to 999)"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.folder is None and not self.mail_to:
            raise field_error("folder", "give folder, mail_to or both: where the report goes")
        if self.every.endswith("mo") and self.starting.day > 28:
            raise field_error("starting", "a monthly schedule starts on day 1 to 28")
        return self

    @property
    def every_parts(self) -> tuple[int, str]:
        found = _EVERY.match(self.every)
        assert found is not None
        return int(found.group(1)), found.group(2)


class ReportsSettings(ConfigModel):
    schedules: tuple[ReportScheduleConfig, ...] = Field(default=())

    @model_validator(mode="after")
    def _names_unique(self) -> Self:
        listed_twice(tuple(s.name for s in self.schedules), "schedules")
        return self
