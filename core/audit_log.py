"""Reading the audit trail (administrators only); writing happens in `core.db.audit` inside each transaction."""

from __future__ import annotations

import pandas as pd

from core import db
from core.access import User, require

MAX_ROWS = 500


def recent(con, user: User, action: str | None = None, limit: int = MAX_ROWS) -> pd.DataFrame:
    user = require(con, user, {"admin"})
    limit = max(1, min(int(limit), MAX_ROWS))
    with db.read(con) as cur:
        return cur.execute(
            """SELECT a.occurred_at, coalesce(u.username, '') AS actor, a.action, a.entity, a.entity_id, a.detail
               FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
               WHERE ? IS NULL OR a.action = ?
               ORDER BY a.id DESC LIMIT ?""",
            [action, action, limit],
        ).df()


def actions(con, user: User) -> list[str]:
    user = require(con, user, {"admin"})
    with db.read(con) as cur:
        return [row[0] for row in cur.execute("SELECT DISTINCT action FROM audit_log ORDER BY 1").fetchall()]
