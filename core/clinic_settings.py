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


def typed(name: str, *, number=None, low=None, high=None, maximum=None, numbers: str = "", text: str = ""):
    """The value an administrator typed, in the setting's own type, or a refusal naming the field in words.

    A form hands over floats and free text; a dose band needs three numbers, a list of doses whole numbers, a word
    setting (the clinic pseudonym) a word: empty is refused here, since an empty pseudonym is the unset default."""
    if name not in _FIELDS:
        raise ValueError("Setting: choose one")
    default = getattr(DEFAULTS, name)
    if isinstance(default, DoseBand):
        for field, given in (("Usual band from", low), ("Usual band to", high), ("Hard maximum", maximum)):
            if given is None:
                raise ValueError(f"{field}: enter a number in mg/kg")
        return DoseBand(float(low), float(high), float(maximum))
    if isinstance(default, tuple):
        parts = [part.strip() for part in (numbers or "").split(",") if part.strip()]
        if not parts or not all(part.isdigit() for part in parts):
            raise ValueError("New values: whole numbers separated by commas, for example 28, 56, 84")
        return tuple(int(part) for part in parts)
    if isinstance(default, str):
        if not (text or "").strip():
            raise ValueError(f"New value: {Settings.label(name)} cannot be empty")
        return text.strip()
    if number is None:
        raise ValueError("New value: enter a number")
    if isinstance(default, int):
        if number != int(number):
            raise ValueError(f"New value: {Settings.label(name)} is a whole number")
        return int(number)
    return float(number)


MIN_REASON = 10


def save(con, actor: User, name: str, value, reason: str = "") -> Settings:
    """Store one override (validated by building the whole Settings first) with who, when and why; return the new
    settings, which the caller puts in force at once."""
    actor = require(con, actor, {"admin"})
    if name not in _FIELDS:
        raise ValueError(f"Unknown setting {name!r}")
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ValueError(f"Reason for the change: say why, in at least {MIN_REASON} characters")
    before = load(con)
    updated = before.changed(**{name: value})
    with db.transaction(con) as cur:
        cur.execute(
            "INSERT OR REPLACE INTO clinic_settings (name, value, changed_by, changed_at) VALUES (?, ?, ?, ?)",
            [name, _encode(value), actor.id, datetime.now()],
        )
        db.audit(cur, actor.id, "setting_changed", "setting", None,
                 {"name": name, "value": _encode(value), "was": _encode(getattr(before, name)), "reason": reason,
                  "rules_version": updated.rules_version})
    return updated


def overrides(con) -> dict[str, tuple[str, str, object]]:
    """Each changed setting: name -> (changed by, reason, changed at), the reason read from the audit trail."""
    with db.read(con) as cur:
        rows = cur.execute(
            """SELECT s.name, u.display_name, s.changed_at,
                      (SELECT json_extract_string(a.detail, '$.reason') FROM audit_log a
                       WHERE a.action = 'setting_changed' AND json_extract_string(a.detail, '$.name') = s.name
                       ORDER BY a.id DESC LIMIT 1)
               FROM clinic_settings s LEFT JOIN users u ON u.id = s.changed_by""").fetchall()
    return {name: (who or "-", why or "-", at) for name, who, at, why in rows}
