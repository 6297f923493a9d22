"""Who may use the HTTP API: users with roles, browser sessions, API tokens, the route policy
table and the audit log (issue 12).

    model      roles, scopes, the principal a request runs as
    hashing    Argon2id password hashes, random tokens and their SHA-256 at rest, CSRF tokens
    schema     the SQL tables (migrations in ``acd/auth/migrations``, own version table)
    store      users, sessions, tokens and the audit log in SQL
    setup      opening the store at engine start
    users      the rules a user's name, role, agent and lines follow
    lockout    failed logins per user and per address, with expiry on the engine's clock
    policy     one table: every route's method, path, who may call it, body cap, models
    keys       what the guard puts on a request for the handlers (who, what they may see)
    guard      the authenticator: credentials, origin/CSRF, the policy, the audit log
    routes     /api/session, /api/audit, /api/users, /api/tokens
    cli_parser, cli   ``acd users`` and ``acd tokens``
"""
