"""The audit trail's hash: one definition, used to write each row, to seal old rows and to verify the chain."""

from __future__ import annotations

import hashlib
from datetime import datetime


def chain_hash(previous: str, row_id: int, occurred_at: datetime, actor_id: int | None, action: str, entity: str,
               entity_id: int | None, detail: str) -> str:
    """SHA-256 over the previous row's hash and every stored field of this row, in a fixed text form."""
    fields = (previous, str(row_id), occurred_at.isoformat(timespec="microseconds"),
              "" if actor_id is None else str(actor_id), action, entity, "" if entity_id is None else str(entity_id),
              detail)
    return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()
