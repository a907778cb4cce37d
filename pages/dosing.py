"""Dosing session (nurses, prescribers): today's board, the pre-dose check and dose, readings, discharge, signature."""

from datetime import datetime, timedelta

import pandas as pd
import streamlit as st

from core import dosing_sessions as ds
from core import drafts
from core.rules import dosing, vitals
from core.rules.settings import current as current_settings
from ui import dosing_actions as handle
from ui import forms, labels, paging, reads, remeasure, selection, session_link, session_record
from ui.actions import act, pending, show
from ui.dosing_actions import ADDENDUM, BOOK, DISCHARGE, DOSED, EVENT, GATE, OPEN, PICK, READING, REVIEW, SIGN, STOP
from ui.frame import frame
from ui.rems_link import form_button as rems_form_button
from ui.store import clinic
from ui.widgets import plain, reason_list, time_choice

TEAM = ds.DOSING_TEAM
user = frame("Dosing session", allow=TEAM)
con = clinic().con

TO_SIGN = "dosing_to_sign"
"""The to-sign table's own grid; a click in it chooses the OPEN session."""
BOARD_WIDTHS = {"Patient": 125, "Chair": 65, "Route": 60, "Dosed": 80, "Next reading": 150, "Blood pressure": 105,
                "Events": 50}
"""Pixels: every column of the board whole, side by side, beside the sidebar at 1,024 px (issue 25.14: columns
were cut at 1,280 and 1,024 px). The severe reading's minute and the instruction are in the banner above."""
YES_NO = {True: "Yes", False: "No"}
REFRESH_SECONDS = 30
BOARD_PAGE_KEY = "dosing_board_page"


# Landing: today's board and a new session.

@st.fragment(run_every=REFRESH_SECONDS)
def board() -> None:
    if selection.chosen(OPEN) is not None:
        st.rerun(scope="app")  # a row was opened: the whole page shows that session
    st.subheader("Today's board")
    today = ds.board(con, user, page=st.session_state.get(BOARD_PAGE_KEY, 1))
    st.session_state[BOARD_PAGE_KEY] = today.page  # a board that shrank keeps its last page
    if not today.total:
        st.caption("No dosing session is in progress.")
        return
    severe_banners(today.severe)
    page, pages, running = today.page, today.pages, today.rows
    shown = pd.DataFrame({
        "session_id": running["session_id"], "Patient": running["patient"], "Chair": running["chair"],
        "Route": running["route"].map(labels.ROUTE_SHORT),
        "Dosed": running["minutes_since_dose"].map("{} min ago".format),
        "Next reading": [f"OVERDUE by {m - d} min" if late else f"at minute {d} (in {d - max(0, m)} min)"
                         for d, late, m in zip(running["next_reading_minute"], running["next_reading_overdue"],
                                               running["minutes_since_dose"], strict=True)],
        "Blood pressure": [f"SEVERE {s}/{d}" if not pd.isna(s) else f"{ls}/{ld}" if not pd.isna(ls) else "-"
                           for s, d, ls, ld in zip(running["severe_systolic_bp"], running["severe_diastolic_bp"],
                                                   running["systolic_bp"], running["diastolic_bp"], strict=True)],
        "Events": running["adverse_events"],
    })
    reads.listed(con, user, "Dosing: today's board" + (f", page {page}" if page > 1 else ""), running["patient_id"])
    selection.table(OPEN, shown, "session_id", {c: st.column_config.Column(c, width=BOARD_WIDTHS[c])
                                                for c in shown.columns if c != "session_id"},
                    style=alerts_in_red, choose_with=open_session)
    updated = f"Updated {datetime.now():%H:%M:%S}, every {REFRESH_SECONDS} seconds. Click a session to open it."
    if pages > 1:
        paging.pager(BOARD_PAGE_KEY, page, pages, f"{today.total} sessions in progress, longest running first · "
                                                  f"page {page} of {pages}. {updated}")
    else:
        st.caption(updated)


def severe_banners(running: pd.DataFrame) -> None:
    """Each session under a severe blood pressure, above the board in words a nurse acts on: the grid's cells are too
    narrow for the instruction."""
    limit = current_settings()
    for r in running[running["severe_minute"].notna()].itertuples():
        where = f" ({plain(r.chair)})" if isinstance(r.chair, str) else ""
        due = (f"next reading was due at minute {r.next_reading_minute}: **OVERDUE by "
               f"{r.minutes_since_dose - r.next_reading_minute} min**" if r.next_reading_overdue
               else f"next reading at minute {r.next_reading_minute}")
        st.error(f"**{plain(r.patient)}**{where}: severe blood pressure **{r.severe_systolic_bp}/"
                 f"{r.severe_diastolic_bp}** at minute {r.severe_minute}. Re-measure every "
                 f"{limit.severe_reading_every_minutes} minutes until it is below {limit.discharge_systolic_below}/"
                 f"{limit.discharge_diastolic_below}: {due}.", icon=":material/warning:")


RED = "background-color: #fde7e9; color: #8a1c12; font-weight: 600"


def alerts_in_red(rows: pd.DataFrame):
    """A session under a severe blood pressure is red across its row, an overdue reading in its cell: in colour as
    well as in words ("SEVERE", "OVERDUE")."""
    return (rows.style
            .apply(lambda row: [RED if row["Blood pressure"].startswith("SEVERE") else ""] * len(row), axis=1)
            .map(lambda v: RED if str(v).startswith("OVERDUE") else "", subset=["Next reading"]))


def to_sign() -> None:
    waiting = ds.awaiting_signature(con, user)
    if waiting.empty:
        return
    st.subheader("Waiting for the prescriber's signature")
    shown = pd.DataFrame({
        "session_id": waiting["session_id"], "Patient": waiting["patient"], "Chart number": waiting["chart_number"],
        "Session": waiting["session_number"], "Route": waiting["route"].map(labels.ROUTE),
        "Outcome": waiting["status"].map(labels.SESSION_STATUS), "Ended": waiting["ended_at"].map(labels.when),
    })
    reads.listed(con, user, "Dosing: waiting for the prescriber's signature", waiting["patient_id"])
    selection.table(TO_SIGN, shown, "session_id", {c: c for c in shown.columns if c != "session_id"},
                    choose_with=open_session)


def open_session(session_id: int) -> None:
    """A row clicked on the board or the to-sign list opens its session, after the session and account checks."""
    act(session_link.choose, session_id, allow=TEAM)()


def unfinished() -> None:
    mine = drafts.mine(con, user, "dosing")
    if not mine:
        return
    st.subheader("Your unfinished pre-dose forms")
    names = ds.ready_among(con, user, [d.patient_id for d in mine])
    for d in mine:
        left, right = st.columns([4, 1])
        who = names.get(d.patient_id, "a patient no longer waiting for a session")
        left.button(f"Resume the pre-dose form of {who} started {d.started_at:%H:%M on %d %b}", key=f"resume_{d.id}",
                    icon=":material/history:", on_click=act(handle.resume_draft, d.id, allow=TEAM))
        right.button("Discard", key=f"discard_{d.id}", on_click=act(handle.discard_draft, d.id, allow=TEAM))


def dosed_elsewhere() -> None:
    """The refusal and what was typed for a patient someone else dosed first, until dismissed."""
    kept = forms.existing(DOSED)
    if kept is None:
        return
    typed = kept.meta["typed"]
    with st.container(border=True):
        st.error(f"**Not recorded: this patient was dosed on another screen.** {plain(kept.meta['refusal'])}.",
                 icon=":material/block:")
        st.markdown("**What you typed, kept here** (nothing of it was saved):")
        st.markdown("\n".join(f"- {plain(label)}: {plain(value)}" for label, value in typed_words(typed)))
        show(DOSED)
        left, right = st.columns(2)
        left.button("Open the session that was recorded", type="primary", icon=":material/open_in_new:",
                    on_click=act(handle.open_dosed_elsewhere, kept.token, kept.subject, allow=TEAM, slot=DOSED))
        right.button("Dismiss what I typed", icon=":material/delete:",
                     on_click=act(handle.dismiss_dosed_elsewhere, kept.token, kept.subject, allow=TEAM, slot=DOSED))


TYPED_WORDS = {"heart_rate": vitals.LABELS["heart_rate"], "spo2": vitals.LABELS["spo2"],
               "hours_since_last_use": "Hours since last use", "fasting_confirmed": "Fasting confirmed",
               "escort_confirmed": "Escort or driver confirmed", "bp_remeasured": "Blood pressure measured again",
               "route": "Route", "weight_kg": "Weight today (kg)", "dose_mg": "Dose (mg)",
               "craving_before": "Craving before dosing", "intention": "Intention set with the patient",
               "chair": "Chair or room", "override_reason": "Reason for going ahead"}


def typed_words(typed: dict) -> list[tuple[str, str]]:
    """The kept pre-dose and dose values in the words of the form they were typed in."""
    def said(field: str) -> str:
        value = typed.get(field, "-")
        if isinstance(value, bool):
            return YES_NO[value]
        if field == "route":
            return labels.ROUTE.get(value, str(value))
        return f"{value:g}" if isinstance(value, float) else str(value)

    words = [("Blood pressure", f"{said('systolic_bp')}/{said('diastolic_bp')}")] if (
        "systolic_bp" in typed or "diastolic_bp" in typed) else []
    return words + [(label, said(field)) for field, label in TYPED_WORDS.items() if field in typed]


def new_session() -> None:
    st.subheader("Start a session")
    dosed_elsewhere()
    pick = forms.opened(PICK)
    search = st.text_input("Find the patient: name, chart number or date of birth", key=pick.key("search"),
                           placeholder="e.g. Demo, DEMO-000010 or 1988-03-14", on_change=handle.new_search,
                           args=(pick.token,))
    ready = ds.ready_patients(con, user, search, also=pick.get("patient"))
    reads.searched(con, user, "Dosing: patients ready for a session", search, ready.rows["patient_id"], ready.total)
    if ready.rows.empty:
        st.info("No approved patient waiting for a session matches. Check the spelling, or search by chart number "
                "or date of birth." if search.strip() else "No approved patient is waiting for a session.")
        return
    names = {int(r.patient_id): f"{r.patient} · born {r.date_of_birth:%d %b %Y} · {r.chart_number} · session "
                                f"{r.session_number}" + (" (after the planned course)" if r.after_course else "")
             for r in ready.rows.itertuples()}
    patient_id = st.selectbox("Patient (approved for treatment)", list(names), format_func=names.get, index=None,
                              placeholder="Choose a patient", key=pick.key("patient"))
    if ready.total > len(ready.rows):
        st.caption(f"{len(ready.rows)} of {ready.total} approved patients waiting for a session, by name: type more "
                   "of a name, a chart number or a date of birth to find others.")
    if patient_id is not None:
        pre_dose(patient_id)


def number(form, field: str, label: str, **kwargs):
    return st.number_input(label, value=None, key=form.key(field), **kwargs)


def yes_no(form, field: str, label: str):
    return st.radio(label, list(YES_NO), format_func=YES_NO.get, index=None, horizontal=True, key=form.key(field))


def pre_dose(patient_id: int) -> None:
    patient = ds.dosable(con, user, patient_id)
    form = forms.instance(GATE, subject=patient_id)
    hours = patient.hours_since_last_session
    since = ("first session" if hours is None else f"{hours:g} h since the last session" if hours < 48
             else f"{labels.days(round(hours / 24))} since the last session")
    st.markdown(f"**{plain(patient.patient)}** · session {patient.session_number} · {since}")
    if patient.refused_today is not None:
        st.error(f"A pre-dose check refused dosing for this patient today at {patient.refused_today:%H:%M}. A new "
                 "check does not erase it: make sure what changed is real.", icon=":material/block:")
    if patient.escort_at_screening is False:
        st.warning("At screening no one could drive this patient home: confirm an escort before dosing.")
    review = dosing.review_needed(patient.last_session)
    if review is not None:
        last_session_review(patient, review, form)
    st.markdown("**Pre-dose check**")
    left, right = st.columns(2)
    with left:
        number(form, "systolic_bp", vitals.LABELS["systolic_bp"], step=1)
        number(form, "heart_rate", vitals.LABELS["heart_rate"], step=1)
        number(form, "hours_since_last_use", "Hours since last use of the primary substance", step=1.0)
    with right:
        number(form, "diastolic_bp", vitals.LABELS["diastolic_bp"], step=1)
        number(form, "spo2", vitals.LABELS["spo2"], step=1)
    remeasure.ask(form, form.get("systolic_bp"), form.get("diastolic_bp"))
    yes_no(form, "fasting_confirmed", "Fasting confirmed (no food 2 h, no liquids 30 min)")
    yes_no(form, "escort_confirmed", "Escort or driver confirmed to take the patient home")
    show(GATE)
    st.button("Check before dosing", on_click=act(handle.run_gate, form.token, patient_id, allow=TEAM, slot=GATE))
    handle.keep_draft(con, user, form, patient_id)
    gate = form.meta.get("gate")
    if gate is None:
        return
    if gate["inputs"] != handle.gate_inputs(form):
        form.meta.pop("gate")
        st.info("The pre-dose values changed since the check: check again before dosing.")
        return
    held_for_review = any(r.code == dosing.REVIEW_NEEDED for r in gate["reasons"])
    {"go": st.success, "hold": st.warning, "refused": st.error}[gate["status"]](
        f"Pre-dose check: **{labels.REVIEW_HOLD if held_for_review else labels.GATE_STATUS[gate['status']]}**")
    reason_list(gate["reasons"])
    if held_for_review:
        st.info("No dose until a prescriber has recorded the review above; then check again.")
    elif gate["status"] != "refused":
        dose(form, patient, gate["status"])


def last_session_review(patient: ds.Dosable, review, gate_form) -> None:
    """How the last session ended, above the check it will hold; a prescriber records the review here."""
    st.warning(f"**Before this dose:** {plain(review.message)}.", icon=":material/rate_review:")
    if user.role != "prescriber":
        st.info("Ask a prescriber to record the review (on their own screen: Dosing session, this patient); then "
                "check again.")
        return
    form = forms.instance(REVIEW, subject=patient.last_session_id)
    st.text_area("Review note: what you reviewed and decided for this dose", key=form.key("note"))
    show(REVIEW)
    st.button("Record the review", on_click=act(handle.record_review, form.token, gate_form.token,
                                                patient.last_session_id, patient.patient_id, allow=ds.PRESCRIBERS,
                                                slot=REVIEW))


def dose(form, patient: ds.Dosable, gate_status: str) -> None:
    st.markdown("**Dose**")
    route = st.radio("Route", list(labels.ROUTE), format_func=labels.ROUTE.get, index=None, horizontal=True,
                     key=form.key("route"))
    left, right = st.columns(2)
    with left:
        weight = number(form, "weight_kg", "Weight today (kg)", step=0.1, format="%.1f")
    with right:
        dose_mg = number(form, "dose_mg", "Dose (mg)", step=0.5, format="%.1f")
    if weight is not None and patient.last_weight_kg is not None:
        try:
            change = vitals.weight_change_warning(patient.last_weight_kg, weight)
        except ValueError:
            change = None
        if change is not None:
            st.warning(change.message)
    override_needed = gate_status == "hold"
    if route and weight is not None and dose_mg is not None:
        try:
            check = dosing.check_dose(route, dose_mg, weight, first_session=patient.session_number == 1)
        except ValueError as wrong:
            st.error(str(wrong))
        else:
            st.markdown(f"**{check.mg_per_kg:.2f} mg/kg** (computed) · {labels.DOSE_STATUS[check.status]}")
            reason_list(check.reasons)
            override_needed = override_needed or check.status == "override_needed"
    number(form, "craving_before", "Craving before dosing (0 = none, 100 = the strongest ever)", step=1,
           min_value=0, max_value=100)
    st.text_area("Intention set with the patient", key=form.key("intention"))
    st.text_input("Chair or room", key=form.key("chair"))
    if override_needed:
        st.markdown("**Prescriber's override**")
        st.text_area("Reason for going ahead (written by the prescriber)", key=form.key("override_reason"))
        if user.role != "prescriber":
            st.caption("A prescriber co-signs here with their own username and password.")
            left, right = st.columns(2)
            left.text_input("Prescriber's username", key=form.key("cosigner"))
            right.text_input("Prescriber's password", type="password", key=form.key("cosigner_password"),
                             autocomplete="off")
    show("dose")
    st.button("Record the dose and start the clock", type="primary",
              on_click=act(handle.start_session, form.token, patient.patient_id, allow=TEAM, slot="dose"))


# One session: readings, events, handle.discharge, signature.

@st.fragment(run_every=REFRESH_SECONDS)
def live(session_id: int) -> None:
    """The clock, the readings and the events, re-read every 30 s: another screen's reading appears here too."""
    record = ds.record(con, user, session_id)
    clock(record)
    session_record.readings_and_events(record)


def clock(record: ds.SessionRecord) -> None:
    minutes = int((datetime.now() - record.started_at).total_seconds() // 60)
    due = ds.next_reading(record)
    text = (f"**{minutes} minutes** since the dose · next reading due at minute {due.minute}"
            + (": **overdue**" if due.overdue else ""))
    if due.severe:
        limit = current_settings()
        text += (f" · **severe blood pressure {due.severe.systolic_bp}/{due.severe.diastolic_bp} at minute "
                 f"{due.severe.minute}**: re-measure every {limit.severe_reading_every_minutes} minutes until below "
                 f"{limit.discharge_systolic_below}/{limit.discharge_diastolic_below}")
    (st.error if due.overdue or due.severe else st.info)(text, icon=":material/timer:")


def session_view(session_id: int) -> None:
    st.button("Back to today's board", icon=":material/arrow_back:", on_click=selection.clear, args=(OPEN,))
    try:
        record = ds.record(con, user, session_id)
    except ValueError:
        selection.clear(OPEN)
        st.warning("That session is not available.")
        return
    reads.opened(con, user, "dosing session", session_id, ds.record_view)
    st.header(plain(record.patient))
    st.markdown(f"Chart number {plain(record.chart_number)}")
    session_record.summary(record)
    show("page")
    show("session")
    if record.status == "in_progress":
        live(session_id)
        in_progress_forms(record)
        return
    session_record.readings_and_events(record)
    rems_form_button(user, record.session_id, record.route, record.status)
    if record.booked_for is None:
        booking_form(record)
    if record.signed_at is None:
        sign_form(record)
    else:
        session_record.signature_and_addenda(record)
        addendum_form(record)


def in_progress_forms(record: ds.SessionRecord) -> None:
    sid = record.session_id
    st.subheader("Add a reading")
    form = forms.instance(READING, subject=sid)
    with st.form(form.key("form"), enter_to_submit=False, border=False):
        a, b, c, d = st.columns(4)
        with a:
            number(form, "minutes_after_dose", "Minutes after the dose", step=1)
        with b:
            number(form, "systolic_bp", vitals.LABELS["systolic_bp"], step=1)
        with c:
            number(form, "diastolic_bp", vitals.LABELS["diastolic_bp"], step=1)
        with d:
            number(form, "heart_rate", vitals.LABELS["heart_rate"], step=1)
        a, b, c, d = st.columns(4)
        with a:
            number(form, "spo2", vitals.LABELS["spo2"], step=1)
        with b:
            number(form, "respiratory_rate", vitals.LABELS["respiratory_rate"], step=1)
        with c:
            st.selectbox("Sedation (MOAA/S)", list(labels.MOAA_S), format_func=labels.MOAA_S.get, index=None,
                         key=form.key("moaa_s"))
        with d:
            st.selectbox("Dissociation", list(labels.DISSOCIATION), format_func=labels.DISSOCIATION.get, index=None,
                         key=form.key("dissociation"))
        remeasure.ask(form, form.get("systolic_bp"), form.get("diastolic_bp"))
        show(READING)
        st.form_submit_button("Save the reading", type="primary",
                              on_click=act(handle.add_reading, form.token, sid, allow=TEAM, slot=READING))

    form = forms.instance(EVENT, subject=sid)
    with st.expander("Record an adverse event", expanded=pending(EVENT) or bool(form.get("code"))):
        st.selectbox("Event", list(labels.ADVERSE_EVENT), format_func=labels.ADVERSE_EVENT.get, index=None,
                     key=form.key("code"))
        st.radio("Severity", list(labels.SEVERITY), format_func=labels.SEVERITY.get, index=None, horizontal=True,
                 key=form.key("severity"))
        st.text_input("Action taken", key=form.key("action"))
        st.text_input("Description (required for Other)", key=form.key("description"))
        show(EVENT)
        st.button("Record the event", on_click=act(handle.add_event, form.token, sid, allow=TEAM, slot=EVENT))

    if record.stop_reason is None:
        form = forms.instance(STOP, subject=sid)
        with st.expander("Stop dosing early", expanded=pending(STOP) or bool(form.get("reason"))):
            st.radio("Reason", list(labels.STOP_REASON), format_func=labels.STOP_REASON.get, index=None,
                     key=form.key("reason"))
            number(form, "delivered_mg", f"{dosing.GIVEN_FIELD} of the {record.dose_mg:g} mg planned", step=0.5,
                   format="%.1f", min_value=0.0, max_value=float(record.dose_mg))
            st.text_input("Note", key=form.key("note"))
            show(STOP)
            st.button("Stop dosing", on_click=act(handle.stop_session, form.token, sid, allow=TEAM, slot=STOP))

    st.subheader("Discharge")
    form = forms.instance(DISCHARGE, subject=sid)
    resp = yes_no(form, "respiratory_depression", "Respiratory depression now")
    escort = yes_no(form, "escort_present", "Escort present to take the patient home")
    if resp is not None and escort is not None:
        try:
            ready = ds.discharge_readiness(con, user, sid, respiratory_depression=resp, escort_present=escort)
        except ValueError as missing:
            st.warning(str(missing))
        else:
            if ready.status == "ready":
                st.success("Ready for discharge.")
            else:
                st.warning("Not ready for discharge yet:")
                reason_list(ready.reasons)
    number(form, "craving_after", "Craving now (0 = none, 100 = the strongest ever)", step=1, min_value=0,
           max_value=100)
    if record.given_mg is None:
        # the one place a value is offered: the whole planned dose, to confirm or correct after a full infusion
        st.number_input(f"{dosing.GIVEN_FIELD}: {record.dose_mg:g} mg were planned; correct it if less was given",
                        value=float(record.dose_mg), step=0.5, format="%.1f", min_value=0.0,
                        max_value=float(record.dose_mg), key=form.key("delivered_mg"))
    else:
        st.markdown(f"Dose actually given: **{record.given_mg:g} mg** ({record.given_mg_per_kg:.2f} mg/kg), "
                    "recorded when dosing stopped.")
    st.text_input("Left with (the person taking the patient home)", key=form.key("left_with"))
    st.checkbox("Told the patient: no driving until the next day, after sleep", key=form.key("no_driving_told"))
    show(DISCHARGE)
    st.button("Discharge the patient", type="primary",
              on_click=act(handle.discharge, form.token, sid, allow=TEAM, slot=DISCHARGE))


def sign_form(record: ds.SessionRecord) -> None:
    if user.role != "prescriber":
        st.info("Waiting for the prescriber's signature.")
        return
    form = forms.instance(SIGN, subject=record.session_id)
    with st.form(form.key("form"), enter_to_submit=True):
        st.text_input("Your password (electronic signature)", type="password", key=form.key("password"),
                      autocomplete="current-password")
        show(SIGN)
        st.form_submit_button("Sign the session", type="primary",
                              on_click=act(handle.sign, form.token, record.session_id, allow=ds.PRESCRIBERS,
                                           slot=SIGN))


def booking_form(record: ds.SessionRecord) -> None:
    """Offered once the patient has left: the integration session every cited trial paired with the dose."""
    st.subheader("Book the integration-therapy session")
    form = forms.instance(BOOK, subject=record.session_id)
    day, hour = st.columns(2)
    # Filled with tomorrow: an empty date field's parts have no value for screen readers (axe: aria-required-attr).
    day.date_input("Day", value=datetime.now().date() + timedelta(days=1), min_value=datetime.now().date(),
                   key=form.key("day"), format="DD.MM.YYYY")
    with hour:
        time_choice("Time", form.key("time"))
    show(BOOK)
    st.button("Book the session", on_click=act(handle.book, form.token, record.session_id, allow=TEAM, slot=BOOK))


def addendum_form(record: ds.SessionRecord) -> None:
    st.subheader("Add an addendum")
    form = forms.instance(ADDENDUM, subject=record.session_id)
    st.text_input("Reason for the correction", key=form.key("reason"))
    st.text_area("Addendum", key=form.key("text"))
    show(ADDENDUM)
    st.button("Add the addendum",
              on_click=act(handle.add_addendum, form.token, record.session_id, allow=TEAM, slot=ADDENDUM))


session_id = selection.chosen(OPEN)
if session_id is None:
    show("page")
    board()
    to_sign()
    unfinished()
    new_session()
else:
    session_view(session_id)
