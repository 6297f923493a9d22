"""Escalation points: the back-office services that take hard questions, by phone or e-mail."""
