"""The clinic's overrides of the default thresholds, stored per setting and audited.

Loaded once at start-up into `core.rules.settings.use(...)`; a change made by an administrator
takes effect at once and changes the rules version that later decisions record.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime

from core import db
from core.access import User, require
from core.rules.settings import DEFAULTS, DoseBand, Settings

_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}


def _decode(name: str, raw: str):
    value = json.loads(raw)
    default = getattr(DEFAULTS, name)
    if isinstance(default, DoseBand):
        return DoseBand(**value)
    if isinstance(default, tuple):
        return tuple(value)
    return value


def _encode(value) -> str:
    if isinstance(value, DoseBand):
        value = dataclasses.asdict(value)
    return json.dumps(value)


def load(con) -> Settings:
    with db.read(con) as cur:
        rows = cur.execute("SELECT name, value FROM clinic_settings").fetchall()
    return DEFAULTS.changed(**{name: _decode(name, raw) for name, raw in rows if name in _FIELDS})


def save(con, actor: User, name: str, value) -> Settings:
    """Store one override (validated by building the whole Settings first) and return the new settings."""
    actor = require(con, actor, {"admin"})
    if name not in _FIELDS:
        raise ValueError(f"Unknown setting {name!r}")
    updated = load(con).changed(**{name: value})
    with db.transaction(con) as cur:
        cur.execute(
            "INSERT OR REPLACE INTO clinic_settings (name, value, changed_by, changed_at) VALUES (?, ?, ?, ?)",
            [name, _encode(value), actor.id, datetime.now()],
        )
        db.audit(cur, actor.id, "setting_changed", "setting", None,
                 {"name": name, "rules_version": updated.rules_version})
    return updated
