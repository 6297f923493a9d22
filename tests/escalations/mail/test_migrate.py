"""The outbox migrations: their own version table, a no-op when run again, the table matches
them on both backends, and they live beside the other components in one database."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from acd.records import migrate as migrate_records
from callbacks.migrate import migrate as migrate_callbacks
from escalations.mail import MailOutboxStore, MailStatus
from escalations.mail.migrate import VERSION_TABLE, alembic_config, migrate
from escalations.mail.schema import METADATA
from foundation.clock import hold_clock
from tests.sql import applied_versions, run_sync


def _schema_drift(connection: Connection) -> list[object]:
    ours = set(METADATA.tables)

    def only_ours(name: str | None, kind: str, parent: dict[str, str | None]) -> bool:
        return kind != "table" or name in ours

    context = MigrationContext.configure(
        connection, opts={"version_table": VERSION_TABLE, "include_name": only_ours}
    )
    return list(compare_metadata(context, METADATA))


@pytest.mark.component
async def test_migrating_twice_is_a_no_op(db_url: str):
    await migrate(db_url, hold=hold_clock)
    assert await applied_versions(db_url, VERSION_TABLE) == ["0002"]


@pytest.mark.component
async def test_the_table_matches_the_migrations(db_url: str):
    assert await run_sync(db_url, _schema_drift) == []


@pytest.mark.component
async def test_the_outbox_shares_a_database_with_the_other_components(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'acd.db'}"
    await migrate_records(url)
    await migrate_callbacks(url, hold=hold_clock)
    await migrate(url, hold=hold_clock)
    tables = await run_sync(url, lambda c: set(inspect(c).get_table_names()))
    assert {"escalation_mails", "callbacks", "contacts", VERSION_TABLE} <= tables
    assert await run_sync(url, _schema_drift) == []


@pytest.mark.unit
def test_the_migrations_are_found_by_package_path():
    scripts = ScriptDirectory.from_config(alembic_config())
    assert scripts.get_heads() == ["0002"]


@pytest.mark.component
async def test_mails_stored_before_the_line_code_column_read_back_with_an_empty_one(
    tmp_path: Path,
):
    url = f"sqlite+aiosqlite:///{tmp_path / 'acd.db'}"
    await migrate(url, "0001", hold=hold_clock)

    def old_mail(connection: Connection) -> None:
        connection.execute(
            text(
                "INSERT INTO escalation_mails (id, request_key, point_id, via, address, subject,"
                " body, contact_id, agent_id, status, attempts, created_at, updated_at)"
                " VALUES ('m1', 'k1', 'anb-jacht', 'email', 'jacht@example.org', 'S', 'B',"
                " 'c1', 'a1', 'pending', 0, '2026-12-01 09:00:00', '2026-12-01 09:00:00')"
            )
        )
        connection.commit()

    await run_sync(url, old_mail)
    await migrate(url, hold=hold_clock)
    async with MailOutboxStore.open(url, hold=hold_clock) as store:
        mail = await store.get("m1")
    assert mail is not None
    assert (mail.point_id, mail.line_code, mail.status) == ("anb-jacht", "", MailStatus.PENDING)
