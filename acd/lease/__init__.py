"""One engine per ARI application: a lease row in the engine's SQL storage, keyed by the ARI URL
and app name, that the running engine renews and a second engine refuses to start against.

The rules are in :mod:`acd.lease.rules`, the SQL in :mod:`acd.lease.store`, the engine's
renewing task in :mod:`acd.lease.keeper`; the table has its own Alembic migrations.
"""

from acd.lease.keeper import LeaseKeeper, lease_key
from acd.lease.migrate import migrate
from acd.lease.rules import Holder, Lease, MemoryLeases
from acd.lease.store import LeaseStore

__all__ = ["Holder", "Lease", "LeaseKeeper", "LeaseStore", "MemoryLeases", "lease_key", "migrate"]
