"""Check-ins (therapists, nurses, prescribers): a follow-up visit's scales and use days; integration notes."""

from datetime import datetime
from functools import partial

import pandas as pd
import streamlit as st

from core import checkins, drafts, integration_notes, patients
from core.rules import instruments
from core.rules.settings import current
from ui import answering, autosave, day_correction, forms, labels, questionnaire, reads, selection, session_record
from ui import checkin_actions as handle
from ui.actions import act, show
from ui.chart_link import chart_button
from ui.checkin_actions import ADDENDUM, CHECKIN, NOTE, OTHER, PATIENT, SECOND_VISIT, USE
from ui.frame import frame
from ui.store import clinic
from ui.widgets import plain, time_choice

RECORDERS = checkins.RECORDERS
user = frame("Check-ins", allow=RECORDERS)
con = clinic().con

NOT_FIELDS = ("days_", SECOND_VISIT)
"""Form keys not kept in a draft: the use grid's own widget state, and the confirmation of a second check-in the same
day (it answers one refusal; a draft resumed later is asked again)."""


def picker() -> None:
    search = st.text_input("Search by name, chart number or date of birth", key="checkin_search",
                           placeholder="e.g. Demo, DEMO-000010 or 1988-03-14", persist_state="session")
    found = patients.roster(con, user, search, status="approved")
    reads.searched(con, user, "Check-ins: approved patients", search, found.rows["id"], found.total)
    if found.total == 0:
        st.info("No approved patient matches. Check the spelling, or search by chart number or date of birth.")
        return
    selection.table(PATIENT, found.rows, "id", {
        "patient": "Patient", "chart_number": "Chart number",
        "date_of_birth": st.column_config.DateColumn("Born", format="DD MMM YYYY"), "sessions": "Sessions",
        "last_activity": st.column_config.DatetimeColumn("Last activity", format="DD MMM YYYY"),
    }, choose_with=lambda patient_id: act(handle.open_patient, patient_id, allow=RECORDERS)())
    shown = min(found.total, len(found.rows))
    st.caption(f"{found.total} approved patient(s), most recent activity first; {shown} shown. "
               "Click a patient to record a check-in.")


# The check-in form.

def open_form(patient_id: int) -> forms.FormInstance:
    """This patient's open check-in, or the user's unfinished one from another screen or before a reload."""
    current = forms.instance(CHECKIN, subject=patient_id)
    if "days" in current.meta:
        return current
    discarded = st.session_state.pop(f"checkin~no_restore~{patient_id}", False)
    mine = [] if discarded else [d for d in drafts.mine(con, user, "checkin") if d.patient_id == patient_id]
    now = datetime.now()
    if not mine:
        ctx = checkins.context(con, user, patient_id)
        days = handle.initial_days(con, user, patient_id, ctx.log_from, now.date())
        return forms.restart(CHECKIN, patient_id, meta={"days": days, "initial": days}, values={
            "log_from": ctx.log_from, "visit_day": now.date(), "visit_time": now.time().replace(second=0,
                                                                                              microsecond=0)})
    draft = drafts.resume(con, user, mine[0].id)
    return forms.restart(CHECKIN, patient_id, values=draft.content.get("fields", {}),
                         meta={"draft_id": draft.id, "restored": draft.updated_at, "days": draft.content["days"],
                               "initial": draft.content["days"], "kept": draft.content})


def keep_draft(form, patient_id: int) -> None:
    """What has been typed, kept on the server at each change: a reload or another computer loses nothing."""
    fields = {k.removeprefix(form.prefix): v for k, v in st.session_state.items()
              if isinstance(k, str) and k.startswith(form.prefix) and v not in (None, "")
              and not k.removeprefix(form.prefix).startswith(NOT_FIELDS)}
    content = {"fields": fields, "days": handle.current_days(form)}
    typed = {k: v for k, v in fields.items() if k not in ("visit_day", "visit_time", "log_from")}
    untouched = not typed and handle.use_days(content["days"]) == handle.use_days(form.meta.get("initial", []))
    if not (untouched and "draft_id" not in form.meta):
        autosave.keep(con, user, form, "checkin", content, patient_id)


def after_answer(form, patient_id: int) -> None:
    """An answer's own run: keep the draft; the first one kept brings its Discard button, drawn outside."""
    had_draft = form.meta.get("draft_id") is not None
    keep_draft(form, patient_id)
    if not had_draft and form.meta.get("draft_id") is not None:
        st.rerun(scope="app")


def instrument(instrument_id: str, form, patient_id: int) -> None:
    """One questionnaire in a part of its own: an answer reruns it and keeps the draft, not the whole page."""
    draw = questionnaire.cssrs if instrument_id == "cssrs" else questionnaire.scale
    answering.part(partial(draw, instruments.get(instrument_id), form.prefix),
                   partial(after_answer, form, patient_id), allow=RECORDERS)


def checkin_form(ctx: checkins.Context) -> None:
    patient_id = ctx.patient_id
    form = open_form(patient_id)
    if "restored" in form.meta:
        st.info(f"Your unfinished check-in from {labels.when(form.meta['restored'])} is back on screen.",
                icon=":material/history:")
    day, hour = st.columns(2)
    day.date_input("Visit date", min_value=ctx.screened_on, max_value=datetime.now().date(),
                   key=form.key("visit_day"), format="DD.MM.YYYY")
    hour.time_input("Visit time", step=300, key=form.key("visit_time"))
    for instrument_id in checkins.every_visit(ctx.primary_substance):
        instrument(instrument_id, form, patient_id)
    if ctx.pcl5_due:
        why = ("provisional PTSD at screening" if ctx.provisional_ptsd else
               f"last taken {ctx.pcl5_last:%d %b %Y}" if ctx.pcl5_last else "never taken")
        st.caption(f"The PCL-5 is due ({why}; it is offered every {current().pcl5_every_days} days, and at every "
                   "visit after provisional PTSD at screening). Leave it blank if it was not given.")
        instrument("pcl5", form, patient_id)
    with st.expander("C-SSRS screener repeat (when clinically indicated)"):
        instrument("cssrs", form, patient_id)
    use_log(form, ctx)
    st.text_input("Reason for correcting a day already recorded (only when you change one)",
                  key=form.key("correction"))
    st.text_area("Note (optional)", key=form.key("note"), height=80)
    keep_draft(form, patient_id)
    show(CHECKIN)
    if form.meta.get("same_day_asked"):
        st.checkbox("A second check-in the same day: the patient was seen again today", key=form.key(SECOND_VISIT))
    save, discard = st.columns([3, 1])
    save.button("Save the check-in", type="primary",
                on_click=act(handle.save_checkin, form.token, patient_id, allow=RECORDERS, slot=CHECKIN,
                             about=ctx.patient))
    if form.meta.get("draft_id") is not None:
        discard.button("Discard this check-in",
                       on_click=act(handle.discard_checkin, form.token, patient_id, allow=RECORDERS, slot=CHECKIN))


def use_log(form, ctx: checkins.Context) -> None:
    substance = labels.SUBSTANCE[ctx.primary_substance]
    st.markdown("**Substance use by day** · one row per day since the last recorded day. A day already recorded "
                "shows its value; change it only to correct it, with a reason.")
    st.caption(f"For a new patient, start the log before the screening to record the baseline: the use in the weeks "
               f"before treatment (timeline follow-back), from {ctx.log_earliest:%d %b %Y} at the earliest "
               f"({day_correction.baseline_days(ctx)} days before the screening on {ctx.screened_on:%d %b %Y}). "
               "The chart shows it beside the course; the outcomes count only days from the first session on.")
    start, fill = st.columns([1, 2], vertical_alignment="bottom")
    start.date_input("Start the log on", min_value=ctx.log_earliest, max_value=datetime.now().date(),
                     key=form.key("log_from"), format="DD.MM.YYYY",
                     on_change=partial(handle.start_log_on, con, user, form.token, ctx.patient_id))
    fill.button("No use on every day not yet answered", icon=":material/done_all:",
                on_click=partial(handle.no_use_for_the_rest, form.token, ctx.patient_id))
    columns = {
        "day": st.column_config.DateColumn("Day", format="ddd DD MMM YYYY", disabled=True),
        "use": st.column_config.SelectboxColumn(f"{substance} used?", options=list(USE)),
        "drinks": st.column_config.TextColumn("Standard drinks (14 g each)", max_chars=6),
        "other": st.column_config.SelectboxColumn("Any other substance?", options=list(OTHER)),
        "recorded": st.column_config.TextColumn("Already recorded", disabled=True),
    }
    if ctx.primary_substance == "alcohol":
        st.caption("Drinks are standard drinks of 14 g of alcohol. A day of drinking with no count is read as a heavy "
                   "drinking day, so enter the count when the patient can give it.")
    else:
        del columns["drinks"]
    rows = pd.DataFrame(form.meta["days"], columns=["day", "use", "drinks", "other", "recorded"])
    st.data_editor(rows[list(columns)], key=handle.grid_key(form), hide_index=True, column_config=columns,
                   num_rows="fixed", width="stretch")


# Integration notes.


def notes(patient_id: int) -> None:
    sessions = integration_notes.sessions(con, user, patient_id)
    if sessions.empty:
        st.caption("No dosing session yet: an integration note follows a dosing session.")
        return
    if user.role in integration_notes.WRITERS:
        note_form(patient_id, sessions[sessions["note_id"].isna()])
    show(NOTE)  # what the last signature said, when no form was drawn to show it beside its button
    st.markdown("**Notes written**")
    written = sessions[sessions["note_id"].notna()]
    if written.empty:
        st.caption("None yet.")
    signed = {}
    for s in written.itertuples():
        note = integration_notes.note_for(con, user, int(s.session_id))
        signed[note.id] = f"After session {s.session_number} of {labels.when(s.started_at)} · met " \
                          f"{labels.when(note.met_at)}"
        with st.expander(signed[note.id] + (f" · addenda: {len(note.addenda)}" if len(note.addenda) else "")):
            st.markdown(f"**Intention set before the dose:** {plain(s.intention or '-')}")
            st.markdown(f"**Themes:** {plain(note.themes)}  \n**The patient's reflections:** {plain(note.reflections)}"
                        f"  \n**Plan until the next session:** {plain(note.plan)}")
            st.caption(f"Signed by {plain(note.signed_by)} on {labels.when(note.signed_at)}")
            session_record.addenda_list(note.addenda)
    if signed and user.role in integration_notes.WRITERS:
        addendum_form(patient_id, signed)


def addendum_form(patient_id: int, signed: dict[int, str]) -> None:
    """A signed note never changes: a correction or a later word is an addendum beside it, with its reason."""
    st.markdown("**Add an addendum to a signed note**")
    form = forms.instance(ADDENDUM, subject=patient_id)
    st.selectbox("Signed note", list(signed), format_func=signed.get, index=None, placeholder="Choose a note",
                 key=form.key("note"))
    st.text_input("Reason for the addendum", key=form.key("reason"))
    st.text_area("Addendum", key=form.key("text"), height=80)
    show(ADDENDUM)
    st.button("Add the addendum",
              on_click=act(handle.add_addendum, form.token, patient_id, allow=integration_notes.WRITERS, slot=ADDENDUM))


def note_form(patient_id: int, open_sessions: pd.DataFrame) -> None:
    st.markdown("**Write an integration note**")
    if open_sessions.empty:
        st.caption("Every dosing session of this patient has its note.")
        return
    ended = open_sessions[open_sessions["ended_at"].notna()]
    running = open_sessions[open_sessions["ended_at"].isna()]
    for s in running.itertuples():
        st.caption(f"Session {s.session_number} of {labels.when(s.started_at)} is still in progress: its note is "
                   "written after discharge.")
    if ended.empty:
        return
    form = open_note(patient_id)
    if "restored" in form.meta:
        st.info(f"Your unfinished integration note from {labels.when(form.meta['restored'])} is back on screen.",
                icon=":material/history:")
    choices = {int(s.session_id): f"Session {s.session_number} · {labels.when(s.started_at)} · "
                                  f"{labels.ROUTE[s.route]} · discharged {labels.when(s.ended_at)}"
               + (f" · integration booked for {labels.when(s.booked_for)}" if pd.notna(s.booked_for) else "")
               for s in ended.itertuples()}
    offered = {int(s.session_id): s.offered_at.to_pydatetime() for s in ended.itertuples()}
    chosen = st.selectbox("The dosing session it follows", list(choices), format_func=choices.get, index=None,
                          placeholder="Choose a session", key=form.key("session"),
                          on_change=partial(handle.offer_time, form.token, patient_id, offered))
    if chosen is not None:
        session = ended.set_index("session_id").loc[chosen]
        intention = session["intention"]
        st.info(f"Intention set before the dose: {plain(intention) if isinstance(intention, str) else 'not recorded'}",
                icon=":material/flag:")
        st.caption(f"The integration session follows discharge ({labels.when(session['ended_at'])}): the date and "
                   "time below were offered from the booking or the discharge; change them to when you met.")
    day, hour = st.columns(2)
    # Dates start filled: an empty date field's parts have no value for screen readers (axe: aria-required-attr).
    day.date_input("Date of the integration session", max_value=datetime.now().date(), key=form.key("met_day"),
                   format="DD.MM.YYYY")
    with hour:
        time_choice("Time", form.key("met_time"))
    st.text_area("Themes", key=form.key("themes"), height=80)
    st.text_area("The patient's reflections", key=form.key("reflections"), height=100)
    st.text_area("Plan until the next session", key=form.key("plan"), height=80)
    # The password and its button in a form of their own, so that Enter in the password signs (issue 25.14), as on
    # the approval queue; the note's fields stay outside it, kept as a draft at each change.
    with st.form(form.key("sign"), enter_to_submit=True, border=False):
        st.text_input("Your password (electronic signature)", type="password", key=form.key("password"),
                      autocomplete="current-password")
        show(NOTE)  # beside the button: a refusal at the top of the tab went unseen below a long note
        st.form_submit_button("Sign and save the note", type="primary",
                              on_click=act(handle.write_note, form.token, patient_id, allow=integration_notes.WRITERS,
                                           slot=NOTE))
    keep_note(form, patient_id)


NOTE_TEXT = ("session", "themes", "reflections", "plan")
"""What makes a note worth keeping as a draft; the date starts filled in, and the password is never kept."""


def open_note(patient_id: int) -> forms.FormInstance:
    """This patient's open note, or the therapist's unfinished one from before a reload or on another computer."""
    current = forms.instance(NOTE, subject=patient_id)
    if current.meta.get("looked"):
        return current
    mine = [d for d in drafts.mine(con, user, "integration_note") if d.patient_id == patient_id]
    if not mine:
        return forms.restart(NOTE, patient_id, meta={"looked": True})
    draft = drafts.resume(con, user, mine[0].id)
    return forms.restart(NOTE, patient_id, values=draft.content, meta={
        "looked": True, "draft_id": draft.id, "restored": draft.updated_at, "kept": draft.content})


def keep_note(form, patient_id: int) -> None:
    """The note as typed so far, kept on the server at each change (never the password)."""
    content = {field: form.get(field) for field in (*NOTE_TEXT, "met_day", "met_time")
               if form.get(field) not in (None, "")}
    if any(field in content for field in NOTE_TEXT):
        autosave.keep(con, user, form, "integration_note", content, patient_id)


def patient_view(patient_id: int) -> None:
    st.button("Choose another patient", icon=":material/arrow_back:", on_click=selection.clear, args=(PATIENT,))
    try:
        ctx = checkins.context(con, user, patient_id)
    except ValueError:
        selection.clear(PATIENT)
        st.warning("That patient is not available for a check-in.")
        return
    reads.opened(con, user, "check-in", patient_id, partial(patients.record_view, opened_on="Check-ins"))
    st.header(plain(ctx.patient))
    st.markdown(f"Primary substance {labels.SUBSTANCE[ctx.primary_substance]} · screened "
                f"{ctx.screened_on:%d %b %Y}")
    chart_button(patient_id, ("pages/checkins.py", "Check-ins"))
    # Always drawn, so the tabs below keep their place, and the tab the user is on, when the notice comes or goes.
    notice = st.container()
    if user.role in integration_notes.WRITERS and not forms.is_open(NOTE, patient_id) and any(
            d.patient_id == patient_id for d in drafts.mine(con, user, "integration_note")):
        notice.info("Your unfinished integration note is waiting in the Integration notes tab.",
                    icon=":material/history:")
    checkin_tab, day_tab, notes_tab = st.tabs(["Check-in", "Correct or add one use day", "Integration notes"])
    with checkin_tab:
        checkin_form(ctx)  # the context read above, once per run (it was read twice)
    with day_tab:
        day_correction.correction_form(con, user, ctx)
    with notes_tab:
        notes(patient_id)


patient_id = selection.chosen(PATIENT)
if patient_id is None:
    show(CHECKIN)
    picker()
else:
    patient_view(patient_id)
