"""Audit log (administrators): every sign-in, change and decision, newest first, a page at a time."""

import json

import streamlit as st

from core import audit_log
from core.rules.settings import DEFAULTS
from ui import labels
from ui.actions import act, show
from ui.frame import frame
from ui.store import clinic

user = frame("Audit log", allow={"admin"})
con = clinic().con
CURSORS = "audit~cursors"
"""The `before_id` of each page shown so far, so 'Newer entries' can step back."""
PATIENT = "audit~patient"
"""The patient the log is narrowed to, by record number, once the chart number typed was found."""


def restart() -> None:
    st.session_state[CURSORS] = [None]


def narrow_to_patient(con, user) -> None:
    """Look up the chart number typed (an audited read) and show only the entries about that patient."""
    restart()
    typed = (st.session_state.get("audit_chart_number") or "").strip()
    st.session_state.pop(PATIENT, None)
    if not typed:
        return
    found = audit_log.patient_by_chart_number(con, user, typed)
    if found is None:
        raise ValueError(f"No patient has the chart number {typed}: the log shows every entry.")
    st.session_state[PATIENT] = found


def older(cursor: int) -> None:
    st.session_state[CURSORS].append(cursor)


def newer() -> None:
    st.session_state[CURSORS].pop()


def readable(detail: str) -> str:
    """The entry's details as words: 'patient record 12 · result: Needs review · same-day safety assessment: yes'."""
    values = json.loads(detail or "{}")
    patient = values.pop("patient_id", None)
    parts = [f"patient record {patient}"] if patient is not None else []
    if values.get("name") in DEFAULTS.__dataclass_fields__:
        return " · ".join(parts + setting_parts(values))
    parts += [f"{labels.AUDIT_DETAIL.get(key, key.replace('_', ' '))}: {labels.audit_value(value)}"
              for key, value in values.items() if value is not None]
    return " · ".join(parts)


def setting_parts(values: dict) -> list[str]:
    """A settings change: the setting by its label, the new and the previous value as the settings tab shows them."""
    words = {"value": "value", "was": "previous value"}
    return [f"setting: {DEFAULTS.label(value)}" if key == "name"
            else f"{words[key]}: {labels.setting_value(json.loads(value))}" if key in words
            else f"{labels.AUDIT_DETAIL.get(key, key.replace('_', ' '))}: {labels.audit_value(value)}"
            for key, value in values.items() if value is not None]


codes = sorted(audit_log.actions(con, user), key=lambda c: labels.AUDIT_ACTION.get(c, c).lower())
action_col, patient_col = st.columns(2)
choice = action_col.selectbox("Action", ["", *codes],
                              format_func=lambda c: labels.AUDIT_ACTION.get(c, c) or "All actions",
                              key="audit_action", on_change=restart)
patient_col.text_input("Only entries about the patient with chart number", key="audit_chart_number",
                       placeholder="e.g. DEMO-000010; empty for every entry",
                       on_change=act(narrow_to_patient, allow={"admin"}, slot="audit_patient"))
show("audit_patient")
patient_id = st.session_state.get(PATIENT)
if patient_id is not None:
    typed = (st.session_state.get("audit_chart_number") or "").strip()
    st.caption(f"Entries about the patient with chart number {typed} (patient record {patient_id}): their record "
               "opened, changed or shown in a list, and who did it (the Who column).")
st.session_state.setdefault(CURSORS, [None])
page = audit_log.page(con, user, st.session_state[CURSORS][-1], choice or None, patient_id)
rows = page.rows.assign(
    action=page.rows["action"].map(lambda a: labels.AUDIT_ACTION.get(a, a)),
    entity=[f"Account {account}" if isinstance(account, str) else labels.AUDIT_ENTITY.get(entity, entity)
            for entity, account in zip(page.rows["entity"], page.rows["account"], strict=True)],
    detail=page.rows["detail"].map(readable),
).drop(columns="account").rename(columns={
    "id": "Entry", "occurred_at": "When", "actor": "Who", "action": "What", "entity": "Record",
    "entity_id": "Record number", "detail": "Details"})
st.dataframe(rows, hide_index=True, width="stretch", column_config={
    "Entry": st.column_config.NumberColumn(format="%d"),
    "When": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm:ss"),
    "Record number": st.column_config.NumberColumn(format="%d"),
})
left, middle, right = st.columns([1, 2, 1], vertical_alignment="center")
left.button("Newer entries", icon=":material/chevron_left:", on_click=newer,
            disabled=len(st.session_state[CURSORS]) == 1)
reach = "" if page.older else "; this page reaches the first entry"
middle.caption(f"{len(rows)} entries, newest first{reach}.")
right.button("Older entries", icon=":material/chevron_right:", on_click=older, args=(page.older,),
             disabled=page.older is None)
