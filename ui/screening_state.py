"""The screening form's state: one form instance, its server-side draft, and the clicks that act on it.

Every click handler takes the form token (and subject) it was drawn with, so a click on
a form that was saved, cancelled or switched to another patient in the meantime is
refused (`forms.current`). A re-screen is a form instance whose subject is the patient
id; its identity fields are the chart's unless the nurse unlocks them on purpose.
"""

from __future__ import annotations

import hashlib
import threading

import streamlit as st

from core import db, drafts, patients
from core.rules import instruments
from core.screening_form import FormErrors, validate_screening
from ui import forms, selection
from ui.actions import Stale
from ui.forms import FormInstance

FORM = "screening"
SAVED = "screening~saved"
DRAFT_LOCK = "screening~draft_lock"
PATIENTS = "patients"
"""The Patients page's selection, set after a save so "Open the chart" opens this patient."""

FIELDS = ("first_name", "last_name", "date_of_birth", "sex", "mrn", "phone", "emergency_contact",
          "primary_substance", "other_substances", "days_used_30", "last_use_date", "last_use_time", "years_of_use",
          "prior_treatments", "prior_treatment_other", "systolic_bp", "diastolic_bp", "pregnant", "conditions",
          "medications", "goal", "integration_therapy_willing", "escort_available")
IDENTITY = ("first_name", "last_name", "date_of_birth", "sex", "mrn")
CONTACT = ("phone", "emergency_contact")
UNLOCK = "identity_unlocked"
SCALES = (instruments.PHQ9, instruments.GAD7, instruments.PCL5, instruments.AUDITC)
ITEM_FIELDS = tuple(f"{i.id}_{item.key}" for i in (*SCALES, instruments.CSSRS) for item in i.items)


def form() -> FormInstance:
    return forms.opened(FORM)


def content(f: FormInstance) -> dict:
    """Everything typed, by field name: what a draft keeps."""
    return {field: f.get(field) for field in (*FIELDS, *ITEM_FIELDS, UNLOCK)}


def has_input(values: dict) -> bool:
    return any(v not in (None, "", [], False) for v in values.values())


def gather(f: FormInstance) -> dict:
    """What validate_screening reads, with skipped C-SSRS questions dropped as the form hides them."""
    raw = {key: f.get(key) for key in FIELDS}
    for instrument in SCALES:
        raw[instrument.id] = [f.get(f"{instrument.id}_{item.key}") for item in instrument.items]
    raw["cssrs"] = _cssrs_answers(f)
    return raw


def _cssrs_answers(f: FormInstance) -> dict:
    answers = {}
    for item in instruments.CSSRS.items:
        value = f.get(f"cssrs_{item.key}")
        if value is not None:
            answers[item.key] = value
    if not answers.get("q2"):
        for key in instruments.CSSRS_SKIPPED_WHEN_Q2_NO:
            answers.pop(key, None)
    if not answers.get("behavior_lifetime"):
        answers.pop("behavior_3mo", None)
    return answers


def fingerprint(raw: dict) -> tuple:
    """What a duplicate acknowledgement is about: any change to a name, birth date or chart number voids it."""
    return tuple(str(raw.get(k) or "").strip().lower() for k in ("first_name", "last_name", "date_of_birth", "mrn"))


def keep_draft(con, user, f: FormInstance) -> str | None:
    """Keep what is typed as the user's draft when it changed since the last run.

    Returns a message when the draft was saved or discarded on another screen: this form
    is then stale and is closed, so it can no longer be saved twice.
    """
    values = content(f)
    if not has_input(values):
        return None
    digest = hashlib.sha256(drafts.encode(values).encode()).hexdigest()
    # Streamlit may start the next rerun of this session before the last one has finished: one
    # autosave at a time, so the second finds the draft the first created instead of making another.
    with st.session_state.setdefault(DRAFT_LOCK, threading.Lock()):
        if f.meta.get("digest") == digest:
            return None
        try:
            f.meta["draft_id"] = drafts.save(con, user, "screening", values, draft_id=f.meta.get("draft_id"),
                                             patient_id=f.subject)
        except db.Conflict:
            return None  # the same user saving on another screen at this instant; the next change saves again
        except ValueError as e:
            forms.close(FORM)
            return str(e)
        f.meta["digest"] = digest
    return None


def save(con, user, token: str, subject: int | None, acknowledged: tuple = ()) -> None:
    f = forms.current(FORM, token, subject)
    raw = gather(f)
    try:
        screening = validate_screening(raw)
    except FormErrors as e:
        f.meta["errors"] = e.errors
        f.meta.pop("duplicates", None)
        return
    f.meta.pop("errors", None)
    try:
        saved = patients.save_screening(con, user, screening, patient_id=subject, draft_id=f.meta.get("draft_id"),
                                        update_identity=bool(f.get(UNLOCK)),
                                        acknowledged_duplicates=frozenset(acknowledged))
    except patients.DuplicatesFound as e:
        f.meta["duplicates"] = {"rows": e.duplicates, "fingerprint": fingerprint(raw)}
        return
    forms.close(FORM)
    st.session_state[SAVED] = {"patient_id": saved.patient_id, "patient": saved.patient,
                               "decision": saved.decision.status, "urgent": saved.decision.urgent}
    selection.choose(PATIENTS, saved.patient_id)


def acknowledge_duplicates(con, user, token: str, subject: int | None, seen: tuple, seen_fingerprint: tuple) -> None:
    """'Different person': valid only for the duplicates shown, and only while the identity is what was checked."""
    f = forms.current(FORM, token, subject)
    if fingerprint(gather(f)) != seen_fingerprint:
        f.meta.pop("duplicates", None)
        raise Stale("The name, date of birth or chart number changed after the duplicate check; nothing was saved. "
                    "Save again to check the new details.")
    save(con, user, token, subject, seen)


def rescreen_duplicate(con, user, token: str, subject: int | None, patient_id: int) -> None:
    """The nurse says it is the same person: the chart's identity replaces what was typed, for review, then Save."""
    f = forms.current(FORM, token, subject)
    record = patients.chart(con, user, patient_id)
    values = {**content(f), **{k: record.patient[k] for k in (*IDENTITY, *CONTACT)}, UNLOCK: False}
    forms.restart(FORM, patient_id, values, meta={"draft_id": f.meta.get("draft_id"), "label": _label(record.patient)})


def start_rescreen(con, user, patient_id: int) -> None:
    """A re-screen starts from the identity, contact details and substance the chart holds."""
    record = patients.chart(con, user, patient_id)
    values = {k: record.patient[k] for k in (*IDENTITY, *CONTACT, "primary_substance")}
    forms.restart(FORM, patient_id, values, meta={"label": _label(record.patient)})
    st.session_state.pop(SAVED, None)


def cancel(con, user, token: str, subject: int | None) -> None:
    f = forms.current(FORM, token, subject)
    if f.meta.get("draft_id") is not None:
        drafts.discard(con, user, f.meta["draft_id"])
    forms.close(FORM)


def resume(con, user, draft_id: int) -> None:
    draft = drafts.resume(con, user, draft_id)
    label = None
    if draft.patient_id is not None:
        label = _label(patients.chart(con, user, draft.patient_id).patient)
    forms.restart(FORM, draft.patient_id, draft.content, meta={"draft_id": draft.id, "label": label})
    st.session_state.pop(SAVED, None)


def discard(con, user, draft_id: int) -> None:
    drafts.discard(con, user, draft_id)
    if form().meta.get("draft_id") == draft_id:
        forms.close(FORM)


def new_screening(con, user) -> None:
    st.session_state.pop(SAVED, None)
    forms.close(FORM)


def draft_label(draft: drafts.Draft) -> str:
    last, first = draft.content.get("last_name") or "", draft.content.get("first_name") or ""
    who = f"{last}, {first}" if last or first else "a new patient (no name yet)"
    return f"Resume the screening of {who} started {draft.started_at:%H:%M on %d %b}"


def _label(patient: dict) -> str:
    return f"{patient['last_name']}, {patient['first_name']} (chart number {patient['mrn']})"
