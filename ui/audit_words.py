"""The audit trail in words, the same on screen and in the CSV export: what happened, on which record, and each
detail, never a stored code. A patient is named by chart number, in a column of its own, never by record number."""

from __future__ import annotations

import json

import pandas as pd

from core.rules.settings import DEFAULTS
from ui import labels

SPREADSHEET_FORMULA = ("=", "+", "-", "@", "\t", "\r")
"""A cell starting with one of these is run as a formula by a spreadsheet, and the trail holds text people typed
(reasons, usernames): such a cell is written with a leading apostrophe, which spreadsheets show as plain text."""


def action(code: str) -> str:
    return labels.AUDIT_ACTION.get(code, code)


def record(entity: str, account) -> str:
    """The kind of record in words; an account by its username, since record numbers of accounts mean nothing."""
    if isinstance(account, str):
        return f"Account {account}"
    return labels.AUDIT_ENTITY.get(entity, entity)


def details(detail: str) -> list[str]:
    """Each detail as 'what: value'. The patient is left out (the chart number column names them); a detail with no
    value is left out rather than shown as None."""
    values = json.loads(detail or "{}")
    values.pop("patient_id", None)
    if values.get("name") in DEFAULTS.__dataclass_fields__:
        return _setting_parts(values)
    return [f"{_key(key)}: {_value(key, value)}" for key, value in values.items() if value is not None]


def _key(key: str) -> str:
    return labels.AUDIT_DETAIL.get(key, key.replace("_", " "))


def _value(key: str, value) -> str:
    if key == "action":
        return action(value)
    if key == "code":
        return labels.ADVERSE_EVENT.get(value, value)
    if key == "status":
        return labels.GATE_STATUS.get(value, value)
    return labels.audit_value(value)


def _setting_parts(values: dict) -> list[str]:
    """A settings change: the setting by its label, the new and the previous value as the settings tab shows them."""
    words = {"value": "value", "was": "previous value"}
    return [f"setting: {DEFAULTS.label(value)}" if key == "name"
            else f"{words[key]}: {labels.setting_value(json.loads(value))}" if key in words
            else f"{_key(key)}: {labels.audit_value(value)}"
            for key, value in values.items() if value is not None]


def table(rows: pd.DataFrame) -> pd.DataFrame:
    """The entries as the administrator reads them, on screen and in the export alike."""
    return pd.DataFrame({
        "Entry": rows["id"].astype("int64"),
        "When": rows["occurred_at"],
        "Who": rows["actor"].fillna(""),
        "What": rows["action"].map(action),
        "Record": [record(e, a) for e, a in zip(rows["entity"], rows["account"], strict=True)],
        "Patient (chart number)": rows["chart_number"].fillna(""),
        "Details": rows["detail"].map(lambda d: " · ".join(details(d))),
    })


def csv(rows: pd.DataFrame) -> bytes:
    """The export file: every entry in words, times to the second, no cell a spreadsheet would run as a formula."""
    shown = table(rows)
    shown["When"] = shown["When"].map(lambda t: f"{t:%Y-%m-%d %H:%M:%S}")
    for column in ("Who", "Record", "Patient (chart number)", "Details"):
        shown[column] = shown[column].map(lambda text: "'" + text if text.startswith(SPREADSHEET_FORMULA) else text)
    return shown.to_csv(index=False).encode("utf-8")
