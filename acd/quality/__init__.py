"""Quality of service as callers and supervisors judge it: the survey after the call (answers
stored one by one, summaries, metrics).  Its tables have their own migrations
(``acd/quality/migrations``, version table ``acd_quality_alembic_version``), so they never race
the contact records' numbering."""
