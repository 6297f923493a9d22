"""Who may use the HTTP API: users with roles, browser sessions, API tokens, the route policy
table and the audit log (issue 12).

    model      roles, scopes, the principal a request runs as
    hashing    Argon2id password hashes, random tokens and their SHA-256 at rest
    schema     the SQL tables (migrations in ``acd/auth/migrations``, own version table)
    store      users, sessions, tokens and the audit log in SQL
    lockout    failed logins per user and per address, with expiry on the engine's clock
    policy     one table: every route's method, path, who may call it, body cap, models
    guard      the middleware that authenticates, checks origin/CSRF and the policy, audits
    routes     /api/session, /api/audit, /api/users, /api/tokens
"""
