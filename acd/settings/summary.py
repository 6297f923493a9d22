"""A short human summary of a valid configuration, for ``acd check-config DIR``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from acd.settings.loader import load_settings
from acd.settings.settings import Settings


def check_config(
    config_dir: Path,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, str] | None = None,
) -> str:
    """Load ``config_dir`` as the engine would and summarise it.

    Raises :class:`foundation.errors.ConfigErrors` when the configuration is refused; the
    caller prints ``str(exc)`` (one ``file: key: reason`` per line) and exits non-zero.
    """
    return summarize(load_settings(config_dir, env=env, overrides=overrides))


def summarize(settings: Settings) -> str:
    out = [
        f"{settings.config_dir}: OK: {len(settings.lines)} lines, "
        f"{len(settings.line_codes)} line codes, {len(settings.agents)} agents, "
        f"{_count(len(settings.escalation_points), 'escalation point')}"
    ]
    for line in settings.lines:
        numbers = ", ".join(line.numbers) or "none (reached by id only)"
        out.append(f"  line {line.id} ({line.name}): numbers {numbers}")
        for name in line.line_codes:
            default = " (default)" if name == line.default_line_code else ""
            agents = len(settings.agents_for_line_code(name))
            points = sum(name in p.line_codes for p in settings.escalation_points)
            counts = f"{agents} agents, {_count(points, 'escalation point')}"
            out.append(f"    {name}{default}: {counts}")
    out.append(_mail_line(settings))
    out.append(_auth_line(settings))
    # Valid but probably unintended: calls for these would never be answered or never arrive.
    on_lines = {name for line in settings.lines for name in line.line_codes}
    for code in settings.line_codes:
        if not settings.agents_for_line_code(code.name):
            out.append(f"  warning: no agent has line code {code.name!r}")
        if code.name not in on_lines:
            out.append(f"  warning: line code {code.name!r} is on no line")
    return "\n".join(out)


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}" if number == 1 else f"{number} {thing}s"


def _auth_line(settings: Settings) -> str:
    auth = settings.auth
    metrics = "needs a token with the metrics scope" if auth.metrics == "token" else "is open"
    return (
        f"  auth: sessions end after {auth.session_idle_s / 60:g} min idle, "
        f"{auth.session_absolute_s / 3600:g} h at most; {auth.max_failures_per_user} failed "
        f"logins per user ({auth.max_failures_per_address} per address) lock out for "
        f"{auth.lockout_s / 60:g} min; /metrics {metrics}"
    )


def _mail_line(settings: Settings) -> str:
    mail = settings.mail
    if mail is None:
        return "  mail: not configured (e-mail escalation is refused)"
    ways = []
    if mail.smtp is not None:
        ways.append(f"smtp {mail.smtp.host}:{mail.smtp.effective_port} ({mail.smtp.security})")
    if mail.crm is not None:
        ways.append(f"crm webhook {mail.crm.url}")
    templates = ", ".join(sorted(mail.templates))
    return f"  mail: from {mail.from_address} via {' and '.join(ways)}; templates {templates}"
