"""Screening: intake for a new patient or a re-screen, with the decision shown live beside the form."""

from datetime import date

import streamlit as st

from core import screening_form as sf
from core.rules import instruments
from core.rules.eligibility import CONDITIONS, MEDICATIONS, evaluate
from core.schema import SUBSTANCES
from ui import questionnaire
from ui import screening_state as state
from ui.frame import frame
from ui.store import clinic
from ui.widgets import STATUS_LABELS, plain, show_reasons, show_status

user = frame("Screening", allow={"nurse", "prescriber"})
con = clinic().con

# Wide on purpose: the browser's range check is not the validation; core names a future or impossible date.
EARLIEST_DATE, LATEST_DATE = date(1800, 1, 1), date(2200, 12, 31)

saved = st.session_state.pop(state.SAVED, None)
if saved:
    st.success(f"Screening saved: {saved['decision'].replace('_', ' ')}. The patient's chart is open on the "
               "Patients page.")
    st.page_link("pages/patients.py", label="Open the patient's chart", icon=":material/folder_shared:")

rescreen = st.session_state.get(state.RESCREEN)
if rescreen:
    st.info(f"Re-screening an existing patient: {plain(rescreen['label'])}.")
    st.button("Cancel the re-screen", on_click=state.cancel_rescreen)


def field_error(key: str) -> None:
    message = st.session_state.get(state.ERRORS, {}).get(key)
    if message:
        st.error(message, icon=":material/error:")


def number(key: str, label: str, help: str | None = None):
    value = st.number_input(label, value=None, step=1, key=state.P + key, placeholder="", help=help,
                            persist_state="session")
    field_error(key)
    return value


try:
    screening = sf.validate_screening(state.gather())
    decision, missing = evaluate(screening.intake), []
except sf.FormErrors as incomplete:
    screening, decision, missing = None, None, [sf.LABELS[k] for k in incomplete.errors]

form, panel = st.columns([3, 2], gap="large")
with form:
    errors = st.session_state.get(state.ERRORS)
    if errors:
        st.error("Nothing was saved. Please correct: " + "; ".join(sf.LABELS[k] for k in errors) + ".")

    st.header("Identity")
    left, right = st.columns(2)
    for column, key in ((left, "first_name"), (right, "last_name")):
        with column:
            st.text_input(sf.LABELS[key], key=state.P + key, max_chars=200, persist_state="session")
            field_error(key)
    with left:
        st.date_input(sf.LABELS["date_of_birth"], value=None, key=state.P + "date_of_birth", format="YYYY-MM-DD",
                      min_value=EARLIEST_DATE, max_value=LATEST_DATE, persist_state="session")
        field_error("date_of_birth")
        st.text_input(sf.LABELS["mrn"], key=state.P + "mrn", max_chars=50, persist_state="session")
        field_error("mrn")
    with right:
        st.radio(sf.LABELS["sex"], ["female", "male"], index=None, horizontal=True, key=state.P + "sex",
                 format_func=str.capitalize, persist_state="session")
        field_error("sex")
        st.text_input(sf.LABELS["phone"], key=state.P + "phone", max_chars=50, persist_state="session")
    st.text_input(sf.LABELS["emergency_contact"], key=state.P + "emergency_contact", max_chars=300,
                  persist_state="session")

    st.header("Substance use")
    st.selectbox(sf.LABELS["primary_substance"], SUBSTANCES, index=None, key=state.P + "primary_substance",
                 format_func=str.capitalize, persist_state="session")
    field_error("primary_substance")
    st.multiselect(sf.LABELS["other_substances"], SUBSTANCES, key=state.P + "other_substances",
                   format_func=str.capitalize,
                   persist_state="session")
    left, right = st.columns(2)
    with left:
        number("days_used_30", sf.LABELS["days_used_30"])
        st.date_input(sf.LABELS["last_use_date"], value=None, key=state.P + "last_use_date", format="YYYY-MM-DD",
                      min_value=EARLIEST_DATE, max_value=LATEST_DATE, persist_state="session")
        field_error("last_use_date")
    with right:
        number("years_of_use", sf.LABELS["years_of_use"])
        st.time_input(sf.LABELS["last_use_time"], value=None, key=state.P + "last_use_time", step=900,
                      persist_state="session")
    st.multiselect(sf.LABELS["prior_treatments"], sf.PRIOR_TREATMENT_OPTIONS, key=state.P + "prior_treatments",
                   persist_state="session")
    st.text_input(sf.LABELS["prior_treatment_other"], key=state.P + "prior_treatment_other", persist_state="session")
    substance = st.session_state.get(state.P + "primary_substance")
    if substance == "alcohol" or "alcohol" in (st.session_state.get(state.P + "other_substances") or []):
        questionnaire.scale(instruments.AUDITC, state.P)
        field_error("auditc")

    st.header("Mental health")
    questionnaire.scale(instruments.PHQ9, state.P)
    field_error("phq9")
    questionnaire.scale(instruments.GAD7, state.P)
    field_error("gad7")
    questionnaire.cssrs(instruments.CSSRS, state.P)
    field_error("cssrs")
    with st.expander("PCL-5 (trauma): complete when the patient reports a stressful experience",
                     expanded=bool(st.session_state.get(state.ERRORS, {}).get("pcl5"))):
        questionnaire.scale(instruments.PCL5, state.P)
    field_error("pcl5")

    st.header("Medical")
    left, right = st.columns(2)
    with left:
        number("systolic_bp", sf.LABELS["systolic_bp"] + " (mmHg, measured now)")
    with right:
        number("diastolic_bp", sf.LABELS["diastolic_bp"] + " (mmHg, measured now)")
    if st.session_state.get(state.P + "sex") != "male":
        st.radio(sf.LABELS["pregnant"], ["no", "yes", "possible"], index=None, horizontal=True,
                 key=state.P + "pregnant",
                 format_func={"no": "Not pregnant", "yes": "Pregnant",
                              "possible": "Possibly pregnant, not tested"}.get, persist_state="session")
        field_error("pregnant")
    st.multiselect(sf.LABELS["conditions"], sorted(CONDITIONS), format_func=sf.CONDITION_LABELS.get,
                   key=state.P + "conditions", persist_state="session")
    st.multiselect(sf.LABELS["medications"], sorted(MEDICATIONS), format_func=sf.MEDICATION_LABELS.get,
                   key=state.P + "medications", persist_state="session")

    st.header("Goals and logistics")
    st.text_area(sf.LABELS["goal"] + " (in their words)", key=state.P + "goal", max_chars=5000, persist_state="session")
    for key in ("integration_therapy_willing", "escort_available"):
        st.radio(sf.LABELS[key], [True, False], format_func=lambda v: "Yes" if v else "No", index=None,
                 horizontal=True, key=state.P + key, persist_state="session")
        field_error(key)

    duplicates = st.session_state.get(state.DUPLICATES)
    if duplicates:
        st.warning("A patient with the same name and date of birth, or the same chart number, already exists. "
                   "Re-screen that patient, or confirm this is a different person.")
        for d in duplicates:
            who = f"{plain(d['patient'])} ({plain(d['chart_number'])}, born {d['date_of_birth']:%Y-%m-%d})"
            st.button(f"Re-screen {who}",
                      key=f"{state.P}dup_{d['id']}", on_click=state.rescreen_duplicate, args=(con, user, d["id"]))
        st.button("Different person: create a new record", on_click=state.acknowledge_duplicate, args=(con, user))
    else:
        if decision is not None:
            st.markdown(f"Decision if saved now: **{STATUS_LABELS[decision.status]}**"
                        + (" · **same-day safety assessment**" if decision.urgent else ""))
        st.button("Save screening", type="primary", on_click=state.save, args=(con, user), icon=":material/save:")

with panel:
    st.header("Decision")
    if decision is None:
        st.info("The decision appears when the form is complete. Still needed: " + ", ".join(missing) + ".")
    else:
        show_status(decision.status, decision.urgent)
        st.subheader("Scores")
        for result in {**decision.scores, **screening.scores}.values():
            name = instruments.get(result.instrument).name
            total = "" if result.total is None else f"{result.total}"
            extra = ", ".join(filter(None, [result.band, *sorted(result.flags)]))
            st.markdown(f"- **{name}** {total} {f'({extra})' if extra else ''}")
        st.subheader("Reasons")
        show_reasons(decision.reasons)
        st.caption(f"Rules version {decision.rules_version}")
