"""The screening form's session state: gathering what the widgets hold, saving, and clearing only on success.

Saving runs in a button callback (before the page redraws), so a refused save keeps
every value the nurse typed and a successful one clears the form in the same click.
"""

from __future__ import annotations

import streamlit as st

from core import patients
from core.rules import instruments
from core.screening_form import FormErrors, validate_screening
from ui.questionnaire import item_key

P = "scr_"
ERRORS = "scr_errors"
DUPLICATES = "scr_duplicates"
RESCREEN = "scr_rescreen"
SAVED = "screening_saved"
SELECTED_PATIENT = "selected_patient"
FIELDS = ("first_name", "last_name", "date_of_birth", "sex", "mrn", "phone", "emergency_contact",
          "primary_substance", "other_substances", "days_used_30", "last_use_date", "last_use_time", "years_of_use",
          "prior_treatments", "prior_treatment_other", "systolic_bp", "diastolic_bp", "pregnant", "conditions",
          "medications", "goal", "integration_therapy_willing", "escort_available")


def gather() -> dict:
    state = st.session_state
    raw = {key: state.get(P + key) for key in FIELDS}
    for instrument in (instruments.PHQ9, instruments.GAD7, instruments.PCL5, instruments.AUDITC):
        raw[instrument.id] = [state.get(item_key(P, instrument, item.key)) for item in instrument.items]
    raw["cssrs"] = _cssrs_answers(state)
    return raw


def _cssrs_answers(state) -> dict:
    answers = {}
    for item in instruments.CSSRS.items:
        value = state.get(item_key(P, instruments.CSSRS, item.key))
        if value is not None:
            answers[item.key] = value
    if not answers.get("q2"):
        for key in instruments.CSSRS_SKIPPED_WHEN_Q2_NO:
            answers.pop(key, None)
    if not answers.get("behavior_lifetime"):
        answers.pop("behavior_3mo", None)
    return answers


def save(con, user, acknowledged: frozenset[int] = frozenset()) -> None:
    state = st.session_state
    rescreen = state.get(RESCREEN)
    try:
        screening = validate_screening(gather())
    except FormErrors as e:
        state[ERRORS] = e.errors
        state.pop(DUPLICATES, None)
        return
    state.pop(ERRORS, None)
    try:
        saved = patients.save_screening(con, user, screening, patient_id=rescreen["id"] if rescreen else None,
                                        acknowledged_duplicates=acknowledged)
    except patients.DuplicatesFound as e:
        state[DUPLICATES] = e.duplicates
        return
    _clear()
    state[SAVED] = {"decision": saved.decision.status}
    state[SELECTED_PATIENT] = saved.patient_id


def acknowledge_duplicate(con, user) -> None:
    save(con, user, frozenset(d["id"] for d in st.session_state.get(DUPLICATES, [])))


def rescreen_duplicate(con, user, patient_id: int) -> None:
    """The nurse says it is the same person: the chart's identity replaces what was typed, for review, then Save."""
    record = patients.chart(con, user, patient_id)
    st.session_state.pop(DUPLICATES, None)
    _use_identity(record.patient)


def cancel_rescreen() -> None:
    _clear()


def start_rescreen(patient: dict) -> None:
    """Pre-fill identity from the chart so a re-screen starts from what the clinic already holds."""
    _clear()
    _use_identity(patient)
    st.session_state[P + "primary_substance"] = patient["primary_substance"]


def _use_identity(patient: dict) -> None:
    st.session_state[RESCREEN] = {"id": patient["id"],
                                  "label": f"{patient['last_name']}, {patient['first_name']} ({patient['mrn']})"}
    for key in ("first_name", "last_name", "date_of_birth", "sex", "mrn", "phone", "emergency_contact"):
        st.session_state[P + key] = patient[key]


def _clear() -> None:
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(P)]:
        del st.session_state[key]
