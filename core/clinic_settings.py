"""The clinic's overrides of the default thresholds, stored per setting and audited.

Loaded once at start-up into `core.rules.settings.use(...)`; a change made by an administrator
takes effect at once and changes the rules version that later decisions record. A stored value
that cannot be read (damaged, or from a version that stored None or NaN) must not stop the app:
that setting falls back to its default and `unreadable` tells the administrator which.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from datetime import datetime

from core import db, users
from core.access import User, require
from core.rules import validate
from core.rules.settings import DEFAULTS, DoseBand, Settings

_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}


def _decode(name: str, raw: str):
    """The stored text back in the setting's own kind, or ValueError when it is not one (checked again, with the
    others, when the settings are built)."""
    try:
        value = json.loads(raw)
        default = getattr(DEFAULTS, name)
        if isinstance(default, DoseBand):
            return DoseBand(**value)
        if isinstance(default, tuple):
            return tuple(value)
        return value
    except (TypeError, ValueError, RecursionError):
        raise ValueError(f"{Settings.label(name)}: the stored value cannot be read") from None


def _encode(value) -> str:
    if isinstance(value, DoseBand):
        value = dataclasses.asdict(value)
    return json.dumps(value)


def load(con) -> Settings:
    """The settings in force: the stored overrides that can be read, the defaults for the rest."""
    return _read(con)[0]


def unreadable(con) -> dict[str, str]:
    """Stored overrides that could not be put in force, name -> the stored text: their defaults apply instead, and
    the administrator is shown which, to set them again."""
    return _read(con)[1]


def _read(con) -> tuple[Settings, dict[str, str]]:
    """Every readable override in force together; one that cannot be read, or that no longer fits with the others
    (each is checked against the rest when saved), is left out rather than stopping the app."""
    with db.read(con) as cur:
        rows = cur.execute("SELECT name, value FROM clinic_settings ORDER BY name").fetchall()
    stored = {name: raw for name, raw in rows if name in _FIELDS}
    decoded, failed = {}, {}
    for name, raw in stored.items():
        try:
            decoded[name] = _decode(name, raw)
        except ValueError:
            failed[name] = raw
    try:
        return DEFAULTS.changed(**decoded), failed
    except ValueError:
        pass
    settings, pending = DEFAULTS, dict(decoded)
    while True:  # apply what fits until nothing more does: an override may need another one in force first
        fitted = False
        for name, value in list(pending.items()):
            try:
                settings = settings.changed(**{name: value})
            except ValueError:
                continue
            del pending[name]
            fitted = True
        if not fitted:
            return settings, {**failed, **{name: stored[name] for name in pending}}


def typed(name: str, *, number=None, low=None, high=None, maximum=None, numbers: str = "", text: str = ""):
    """The value an administrator typed, in the setting's own type, or a refusal naming the field in words.

    A form hands over floats and free text; a dose band needs three numbers, a list of doses whole numbers, a word
    setting (the clinic pseudonym) a word: empty is refused here, since an empty pseudonym is the unset default."""
    if not isinstance(name, str) or name not in _FIELDS:
        raise ValueError("Setting: choose one")
    default = getattr(DEFAULTS, name)
    if isinstance(default, DoseBand):
        for field, given in (("Usual band from", low), ("Usual band to", high), ("Hard maximum", maximum)):
            if given is None:
                raise ValueError(f"{field}: enter a number in mg/kg")
            validate.number(given, field)
        return DoseBand(float(low), float(high), float(maximum))
    if isinstance(default, tuple):
        if numbers is not None and not isinstance(numbers, str):
            raise ValueError(WHOLE_NUMBERS)
        parts = [part.strip() for part in (numbers or "").split(",") if part.strip()]
        if not parts or not all(WHOLE.fullmatch(part) for part in parts):
            raise ValueError(WHOLE_NUMBERS)
        return tuple(int(part) for part in parts)
    if isinstance(default, str):
        if not (text or "").strip():
            raise ValueError(f"New value: {Settings.label(name)} cannot be empty")
        return text.strip()
    if number is None:
        raise ValueError("New value: enter a number")
    number = validate.number(number, "New value")
    if isinstance(default, int):
        if number != int(number):
            raise ValueError(f"New value: {Settings.label(name)} is a whole number")
        return int(number)
    return number


WHOLE = re.compile(r"[0-9]{1,6}")
"""Digits as typed on a keyboard ('²' counts as a digit to Python and is no dose), short enough to be a dose."""
WHOLE_NUMBERS = "New values: whole numbers separated by commas, for example 28, 56, 84"
MIN_REASON = 10


@dataclass(frozen=True)
class Cosignature:
    """A prescriber's username and password typed on the administrator's screen: a clinical threshold is a clinical
    decision, so the administrator who types it is not the only one answerable for it."""

    username: str
    password: str


def save(con, actor: User, name: str, value, reason: str = "", cosignature: Cosignature | None = None) -> Settings:
    """Store one override (validated by building the whole Settings first) with who, when and why, and for a
    clinical threshold the prescriber who co-signed it; return the new settings, which the caller puts in force at
    once. The co-signature is checked last, so a value refused anyway costs no failed signature."""
    actor = require(con, actor, {"admin"})
    if not isinstance(name, str) or name not in _FIELDS:
        raise ValueError(f"Unknown setting {name!r}")
    reason = validate.text(reason, "Reason for the change", 1000).strip()
    if len(reason) < MIN_REASON:
        raise ValueError(f"Reason for the change: say why, in at least {MIN_REASON} characters")
    before = load(con)
    updated = before.changed(**{name: value})
    signer = _cosigner(con, name, cosignature)
    signed = {} if signer is None else {"cosigned_by": f"{signer.display_name} ({signer.username})",
                                        "cosigner_id": signer.id}
    with db.transaction(con) as cur:
        cur.execute(
            "INSERT OR REPLACE INTO clinic_settings (name, value, changed_by, changed_at) VALUES (?, ?, ?, ?)",
            [name, _encode(value), actor.id, datetime.now()],
        )
        db.audit(cur, actor.id, "setting_changed", "setting", None,
                 {"name": name, "value": _encode(value), "was": _encode(getattr(before, name)), "reason": reason,
                  **signed, "rules_version": updated.rules_version})
    return updated


def _cosigner(con, name: str, cosignature: Cosignature | None) -> User | None:
    """The prescriber who co-signs a clinical threshold (None for a setting that decides nothing clinical)."""
    if cosignature is not None and not isinstance(cosignature, Cosignature):
        raise ValueError("Prescriber's co-signature: give the prescriber's username and password")
    if not Settings.clinical(name):
        return None
    if cosignature is None or not (cosignature.username or cosignature.password):
        raise ValueError("Prescriber's co-signature: a clinical threshold needs a prescriber's username and password "
                         "as well as yours")
    signer = users.countersigner(con, cosignature.username, cosignature.password)
    if signer is None or signer.role != "prescriber":  # the same words: the box is no check of who is a prescriber
        raise ValueError("Prescriber's co-signature: the username or password is not right")
    return signer


def overrides(con) -> dict[str, tuple[str, str, object]]:
    """Each changed setting: name -> (changed by and any co-signer, reason, changed at), the reason and the
    co-signer read from the audit trail."""
    with db.read(con) as cur:
        rows = cur.execute(
            """SELECT s.name, u.display_name, s.changed_at, a.reason, c.display_name
               FROM clinic_settings s LEFT JOIN users u ON u.id = s.changed_by
               LEFT JOIN (SELECT json_extract_string(detail, '$.name') AS name,
                                 json_extract_string(detail, '$.reason') AS reason,
                                 TRY_CAST(json_extract_string(detail, '$.cosigner_id') AS INTEGER) AS cosigner
                          FROM audit_log WHERE action = 'setting_changed'
                          QUALIFY row_number() OVER (PARTITION BY json_extract_string(detail, '$.name')
                                                     ORDER BY id DESC) = 1) a ON a.name = s.name
               LEFT JOIN users c ON c.id = a.cosigner""").fetchall()
    return {name: ((who or "-") + (f", co-signed by {cosigner}" if cosigner else ""), why or "-", at)
            for name, who, at, why, cosigner in rows}
