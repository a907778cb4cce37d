"""Screening: intake for a new patient or a re-screen, with the decision shown live beside the form."""

from functools import partial

import streamlit as st

from core import drafts
from core import screening_form as sf
from core.rules import instruments, validate
from core.rules.eligibility import CONDITIONS, MEDICATIONS, evaluate
from core.rules.instruments import ScoreResult
from core.schema import SUBSTANCES
from ui import labels, questionnaire, remeasure, screening_view, widgets
from ui import screening_state as state
from ui.actions import act, show
from ui.chart_link import chart_button
from ui.frame import frame, just_arrived
from ui.store import clinic
from ui.widgets import STATUS_LABELS, plain, show_reasons, show_status

SCREENERS = frozenset({"nurse", "prescriber"})
user = frame("Screening", allow=SCREENERS)
con = clinic().con
arrived = just_arrived()

EMPTY = ScoreResult("", None, None, frozenset())
# Dates and times are typed (the date picker's empty segments fail axe-core's required-ARIA check, and typing
# is faster at the keyboard); core reads 1988-03-14, 14.03.1988 or 14/03/1988 and names anything else.
DATE_HINT = "e.g. 1988-03-14"
TIME_HINT = "e.g. 21:30"
UNCODED_HELP = ("For what the list above does not hold. The eligibility rules read only the list: anything written "
                "here makes the result Needs review, so that the prescriber reads it.")

saved = st.session_state.get(state.SAVED)
if saved and arrived:
    del st.session_state[state.SAVED]  # the confirmation belongs to the moment of saving, not to the next visit
elif saved:
    urgent_note = ", with a same-day safety assessment needed" if saved["urgent"] else ""
    st.success(f"Screening saved for {plain(saved['patient'])}: {STATUS_LABELS[saved['decision']]}{urgent_note}.",
               icon=":material/check_circle:")
    if saved["urgent"]:
        widgets.urgent_banner(saved["signals"], saved["patient"],
                              "It stays on the Home worklist until a clinician records the assessment. ")
    left, right = st.columns(2)
    with left:
        chart_button(saved["patient_id"], ("pages/screening.py", "Screening"))
    right.button("Screen another patient", type="primary", on_click=act(state.new_screening, allow=SCREENERS))
    st.stop()

form = state.form()
stale = state.keep_draft(con, user, form)
if stale:
    st.warning(plain(stale))
    form = state.form()
show("screening")

others = [d for d in drafts.mine(con, user, "screening") if d.id != form.meta.get("draft_id")]
if others:
    with st.container(border=True):
        st.markdown("**Unfinished screenings** (kept for you only)")
        discarding = st.session_state.get(state.DISCARDING)
        for d in others:
            draft_signals = state.signals(state.raw_from(d.content))
            if draft_signals:
                widgets.urgent_banner(draft_signals, state.draft_who(d), "The screening is not saved yet: resume it. ")
            if discarding == d.id:
                st.warning(f"Discard the unfinished screening of {plain(state.draft_who(d))}? "
                           "What was typed cannot be brought back.")
                yes, no = st.columns(2)
                yes.button("Yes, discard it", key=f"discard_yes_{d.id}",
                           on_click=act(state.discard, d.id, allow=SCREENERS))
                no.button("No, keep it", key=f"discard_no_{d.id}", on_click=act(state.keep, allow=SCREENERS))
                continue
            left, right = st.columns([4, 1])
            left.button(plain(state.draft_label(d)), key=f"resume_{d.id}", icon=":material/history:",
                        on_click=act(state.resume, d.id, allow=SCREENERS))
            right.button("Discard", key=f"discard_{d.id}", on_click=state.ask_discard, args=(d.id,))



def notice() -> None:
    """Why this form is empty or not on a chart; shown at the top and beside Save, where the nurse last clicked."""
    if form.meta.get(state.NOTICE):
        st.warning(plain(form.meta[state.NOTICE]), icon=":material/person_alert:")


notice()
if form.subject is not None:
    st.info(f"Re-screening an existing patient: {plain(form.meta.get('label') or '')}.")
    for newer in form.meta.get("newer", ()):
        st.warning(f"Another screening of this patient was saved {plain(newer)}, after you started this one. Read "
                   "it in the chart before saving yours.", icon=":material/history:")
    if form.meta.get("status") == "approved":
        st.warning("This patient is approved for treatment. Saving a re-screen sends them back to the approval "
                   "queue: no further dosing session until a prescriber approves again.", icon=":material/undo:")
    st.button("Cancel the re-screen", on_click=act(state.cancel, form.token, form.subject, allow=SCREENERS))

raw = state.gather(form)
try:
    screening = sf.validate_screening(raw)
    decision, live_errors = evaluate(screening.intake), {}
except sf.FormErrors as incomplete:
    screening, decision, live_errors = None, None, incomplete.errors
signals = state.signals(raw)


def filled(key: str) -> bool:
    """A single field with something in it (a questionnaire being answered is not judged item by item)."""
    value = raw.get(key)
    return not isinstance(value, list | dict) and value not in (None, "")


# A field filled with a wrong value is named under it at once; a message from the last Save stays only while
# its field is still wrong.
errors = {k: message for k, message in live_errors.items() if filled(k) or k in form.meta.get("errors", {})}


def duplicate_choices(rows: list[dict], seen_fingerprint: tuple) -> None:
    """What Save found: the typed answers may go to a chart only for the same person on two identifiers."""
    for d in rows:
        who = f"{plain(d['patient'])} (chart number {plain(d['chart_number'])}, born {d['date_of_birth']:%d %b %Y})"
        if d["same_person"]:
            also = " and the same chart number" if d["same_chart_number"] else ""
            st.warning(f"A patient with the same name and date of birth{also} already exists: {who}. If that is the "
                       "person in front of you, re-screen them and these answers go to their chart.",
                       icon=":material/group:")
            st.button(f"Same person: re-screen {who} with these answers", key=f"dup_{d['id']}",
                      on_click=act(state.rescreen_duplicate, form.token, form.subject, d["id"], allow=SCREENERS,
                                   slot="duplicates"))
        else:
            st.error(f"Chart number {plain(d['chart_number'])} belongs to someone else: {who}, whose name or date "
                     "of birth differ from what you typed. Nothing you typed will be saved to that chart.",
                     icon=":material/person_alert:")
            st.button("Correct the chart number", key=f"dup_fix_{d['id']}", type="primary",
                      on_click=act(state.correct_chart_number, form.token, form.subject, allow=SCREENERS,
                                   slot="duplicates"))
            st.button(f"Start an empty re-screen of {plain(d['patient'])} ({plain(d['chart_number'])})",
                      key=f"dup_empty_{d['id']}",
                      on_click=act(state.rescreen_empty, form.token, form.subject, d["id"], allow=SCREENERS,
                                   slot="duplicates"))
    if not any(d["same_chart_number"] for d in rows):
        st.button("Different person: create a new record",
                  on_click=act(state.acknowledge_duplicates, form.token, form.subject,
                               tuple(d["id"] for d in rows), seen_fingerprint, allow=SCREENERS, slot="duplicates"))


def safety_banner() -> None:
    if signals:
        widgets.urgent_banner(signals)


def errors_summary() -> None:
    if errors and form.meta.get("errors"):
        st.error("Nothing was saved. Please correct: " + "; ".join(sf.LABELS[k] for k in errors) + ".")


def field_error(key: str) -> None:
    if key in errors:
        st.error(errors[key], icon=":material/error:")


def side_by_side(*fields) -> None:
    """Fields in one row, each in its own column, drawn row by row so that Tab moves as the eye reads."""
    for column, draw in zip(st.columns(len(fields)), fields, strict=True):
        with column:
            draw()


def text(key: str, placeholder: str | None = None, disabled: bool = False) -> None:
    st.text_input(sf.LABELS[key], key=form.key(key), placeholder=placeholder, disabled=disabled,
                  persist_state="session")
    field_error(key)


def typed_date(key: str, disabled: bool = False) -> None:
    """A date field with the date read said in words under it, so a slip of day and month shows before Save."""
    text(key, placeholder=DATE_HINT, disabled=disabled)
    read = validate.date_in_words(raw.get(key))
    if read and read.startswith("Read as"):
        st.caption(read)


def blood_pressure_confirmation() -> None:
    """Asked only when the pulse pressure typed is implausible: re-measure, then confirm."""
    if remeasure.ask(form, raw.get("systolic_bp"), raw.get("diastolic_bp"), persist_state="session"):
        field_error("bp_remeasured")


def sex(locked: bool) -> None:
    st.radio(sf.LABELS["sex"], ["female", "male"], index=None, horizontal=True, key=form.key("sex"),
             format_func=str.capitalize, disabled=locked, persist_state="session")
    field_error("sex")


def number(key: str, label: str):
    value = st.number_input(label, value=None, step=1, key=form.key(key), placeholder="", persist_state="session")
    field_error(key)
    return value


with widgets.sticky("safety-banner"):
    safety_banner()

locked = form.subject is not None and not form.get(state.UNLOCK)
form_column, panel_column = st.columns([5, 3], gap="medium")
with form_column:
    errors_summary()
    st.header("Identity")
    if form.subject is not None:
        st.checkbox("Correct identity details", key=form.key(state.UNLOCK), persist_state="session",
                    help="The decision uses the identity stored in the chart. Tick to change it on purpose; the "
                         "change is saved with the re-screen and recorded in the audit log.")
    side_by_side(partial(text, "first_name", disabled=locked), partial(text, "last_name", disabled=locked))
    side_by_side(partial(typed_date, "date_of_birth", disabled=locked), partial(sex, locked))
    side_by_side(partial(text, "mrn", disabled=locked), partial(text, "phone"))
    st.text_input(sf.LABELS["emergency_contact"], key=form.key("emergency_contact"), persist_state="session")
    field_error("emergency_contact")

    st.header("Substance use")
    st.selectbox(sf.LABELS["primary_substance"], SUBSTANCES, index=None, key=form.key("primary_substance"),
                 format_func=str.capitalize, persist_state="session")
    field_error("primary_substance")
    st.multiselect(sf.LABELS["other_substances"], sf.OTHER_SUBSTANCES, key=form.key("other_substances"),
                   format_func=labels.OTHER_SUBSTANCE.get, persist_state="session", select_all=False)
    field_error("other_substances")
    st.text_input(sf.LABELS["other_substances_text"], key=form.key("other_substances_text"), persist_state="session",
                  placeholder="For example kratom, GHB")
    field_error("other_substances_text")
    side_by_side(partial(number, "days_used_30", sf.LABELS["days_used_30"]),
                 partial(number, "years_of_use", sf.LABELS["years_of_use"]))
    side_by_side(partial(typed_date, "last_use_date"),
                 partial(text, "last_use_time", placeholder=TIME_HINT))
    st.multiselect(sf.LABELS["prior_treatments"], sf.PRIOR_TREATMENT_OPTIONS, key=form.key("prior_treatments"),
                   persist_state="session", select_all=False)
    st.text_input(sf.LABELS["prior_treatment_other"], key=form.key("prior_treatment_other"), persist_state="session")
    field_error("prior_treatment_other")
    if raw["primary_substance"] == "alcohol" or "alcohol" in (raw["other_substances"] or []):
        questionnaire.scale(instruments.AUDITC, form.prefix)
        field_error("auditc")

    st.header("Mental health")
    questionnaire.scale(instruments.PHQ9, form.prefix)
    field_error("phq9")
    questionnaire.scale(instruments.GAD7, form.prefix)
    field_error("gad7")
    questionnaire.cssrs(instruments.CSSRS, form.prefix)
    field_error("cssrs")
    with st.expander("PCL-5 (trauma): complete when the patient reports a stressful experience",
                     expanded="pcl5" in errors):
        questionnaire.scale(instruments.PCL5, form.prefix)
    field_error("pcl5")

    st.header("Medical")
    side_by_side(partial(number, "systolic_bp", sf.LABELS["systolic_bp"] + " (mmHg, measured now)"),
                 partial(number, "diastolic_bp", sf.LABELS["diastolic_bp"] + " (mmHg, measured now)"))
    blood_pressure_confirmation()
    if raw["sex"] != "male":
        st.radio(sf.LABELS["pregnant"], ["no", "yes", "possible"], index=None, horizontal=True,
                 key=form.key("pregnant"),
                 format_func={"no": "Not pregnant", "yes": "Pregnant",
                              "possible": "Possibly pregnant, not tested"}.get, persist_state="session")
        field_error("pregnant")
    st.multiselect(sf.LABELS["conditions"], sorted(CONDITIONS), format_func=sf.CONDITION_LABELS.get,
                   key=form.key("conditions"), persist_state="session", select_all=False)
    st.text_input(sf.LABELS["conditions_other"], key=form.key("conditions_other"), persist_state="session",
                  help=UNCODED_HELP)
    field_error("conditions_other")
    st.multiselect(sf.LABELS["medications"], sorted(MEDICATIONS), format_func=sf.MEDICATION_LABELS.get,
                   key=form.key("medications"), persist_state="session", select_all=False)
    st.text_input(sf.LABELS["medications_other"], key=form.key("medications_other"), persist_state="session",
                  help=UNCODED_HELP)
    field_error("medications_other")

    st.header("Goals and logistics")
    st.text_area(sf.LABELS["goal"] + " (in their words)", key=form.key("goal"), persist_state="session")
    field_error("goal")
    for key in ("integration_therapy_willing", "escort_available"):
        st.radio(sf.LABELS[key], [True, False], format_func=lambda v: "Yes" if v else "No", index=None,
                 horizontal=True, key=form.key(key), persist_state="session")
        field_error(key)

    safety_banner()
    errors_summary()
    notice()
    duplicates = form.meta.get("duplicates")
    if duplicates and duplicates["fingerprint"] != state.fingerprint(raw):
        form.meta.pop("duplicates")  # the details changed: the acknowledgement no longer applies
        duplicates = None
    show("duplicates")
    if duplicates:
        duplicate_choices(duplicates["rows"], duplicates["fingerprint"])
    else:
        if decision is not None:
            st.markdown(f"Screening result if saved now: **{STATUS_LABELS[decision.status]}**"
                        + (" · **same-day safety assessment needed**" if decision.urgent else ""))
        st.button("Save screening", type="primary", icon=":material/save:",
                  on_click=act(state.save, form.token, form.subject, allow=SCREENERS))

with panel_column:
    st.header("Decision")
    if decision is None:
        missing = [sf.LABELS[k] for k in live_errors if not filled(k)]
        wrong = [sf.LABELS[k] for k in live_errors if filled(k)]
        st.info("The decision appears when the form is complete."
                + (f" Still needed: {', '.join(missing)}." if missing else "")
                + (f" To correct: {', '.join(wrong)}." if wrong else ""))
    else:
        show_status(decision.status)
        if signals:
            widgets.urgent_banner(signals)
        st.subheader("Scores")
        for result in {**decision.scores, **screening.scores}.values():
            st.markdown(f"- **{labels.instrument(result.instrument)}:** {screening_view.score_text(result)}")
        if screening.details["escort_available"] is False:
            st.warning("**No one can drive the patient home.** Information for the prescriber: it does not change "
                       "the screening result, but the pre-dose check refuses a session without an escort.",
                       icon=":material/directions_car:")
        if "positive" in screening.scores.get("auditc", EMPTY).flags:
            st.info("AUDIT-C is positive (hazardous drinking): information for the prescriber; it does not change "
                    "the screening result.", icon=":material/info:")
        st.subheader("Reasons")
        show_reasons(decision.reasons)
        st.caption(f"Rules version {decision.rules_version}")
