"""The Dosing page's click handlers: each runs through `act()` after the session and account checks, acts through
core/, and refuses with ValueError; the page itself only draws (issue 21.5)."""

from datetime import datetime

from core import dosing_sessions as ds
from core import drafts, severe_events
from ui import autosave, forms, labels, selection, session_link
from ui.actions import alert, done

OPEN = session_link.SESSION
"""The selection: the session on screen, by id."""
PICK, GATE, READING, EVENT, STOP, DISCHARGE, SIGN, ADDENDUM, BOOK, REVIEW, DOSED = (
    "dosing_pick", "dosing_gate", "dosing_reading", "dosing_event", "dosing_stop", "dosing_discharge",
    "dosing_sign", "dosing_addendum", "dosing_book", "dosing_review", "dosing_dosed_elsewhere")
GATE_FIELDS = ("systolic_bp", "diastolic_bp", "heart_rate", "spo2", "hours_since_last_use", "fasting_confirmed",
               "escort_confirmed", "bp_remeasured")
DRAFT_FIELDS = (*GATE_FIELDS, "route", "weight_kg", "dose_mg", "craving_before", "intention", "chair",
                "override_reason")
"""What the pre-dose form keeps as a draft while it is typed: never a co-signer's name or password."""


def gate_inputs(form) -> dict:
    return {f: form.get(f) for f in GATE_FIELDS}


def kept_if_dosed_elsewhere(handler):
    """Another screen dosed the patient first: the patient leaves the list, so the form would vanish with them.
    What this user typed is kept on screen with the refusal (who dosed and when) until they dismiss it."""
    def run(con, user, token: str, patient_id: int) -> None:
        try:
            handler(con, user, token, patient_id)
        except ds.AlreadyDosed as first:
            form = forms.current(GATE, token, patient_id)
            typed = {f: form.get(f) for f in DRAFT_FIELDS if form.get(f) not in (None, "")}
            forms.restart(DOSED, patient_id, meta={"refusal": str(first), "session_id": first.session_id,
                                                   "typed": typed, "draft_id": form.meta.get("draft_id")})
            forms.close(GATE)
            forms.close(PICK)
    return run


@kept_if_dosed_elsewhere
def run_gate(con, user, token: str, patient_id: int) -> None:
    form = forms.current(GATE, token, patient_id)
    check = ds.check_gate(con, user, patient_id, **gate_inputs(form))
    form.meta["gate"] = {"id": check.gate_check_id, "status": check.result.status, "reasons": check.result.reasons,
                         "inputs": gate_inputs(form)}


@kept_if_dosed_elsewhere
def start_session(con, user, token: str, patient_id: int) -> None:
    form = forms.current(GATE, token, patient_id)
    override = None
    if form.get("override_reason") or form.get("cosigner"):
        override = ds.Override(form.get("override_reason") or "", form.get("cosigner") or "",
                               form.get("cosigner_password") or "")
    form.set("cosigner_password", "")
    session_id = ds.start(con, user, patient_id, form.meta["gate"]["id"], route=form.get("route"),
                          weight_kg=form.get("weight_kg"), dose_mg=form.get("dose_mg"),
                          intention=form.get("intention") or "", craving_before=form.get("craving_before"),
                          chair=form.get("chair") or "", override=override, draft_id=form.meta.get("draft_id"))
    forms.close(GATE)
    forms.close(PICK)
    selection.choose(OPEN, session_id)
    done("session", "Dose recorded: the monitoring clock has started.")


def record_review(con, user, token: str, gate_token: str, session_id: int, patient_id: int) -> None:
    """The prescriber's review of the last session; a pre-dose check already on screen held for it, so it is
    cleared and the next click checks again."""
    form = forms.current(REVIEW, token, session_id)
    gate_form = forms.current(GATE, gate_token, patient_id)
    severe_events.record_review(con, user, session_id, form.get("note") or "")
    forms.close(REVIEW)
    gate_form.meta.pop("gate", None)
    done(GATE, "Review recorded: the last session no longer holds this dose. Check before dosing again.")


def dismiss_dosed_elsewhere(con, user, token: str, patient_id: int) -> None:
    """The user has read what they typed beside the other session: it and its draft go."""
    kept = forms.current(DOSED, token, patient_id)
    if kept.meta.get("draft_id") is not None:
        drafts.discard(con, user, kept.meta["draft_id"])
    forms.close(DOSED)


def open_dosed_elsewhere(con, user, token: str, patient_id: int) -> None:
    kept = forms.current(DOSED, token, patient_id)
    session_link.choose(con, user, kept.meta["session_id"])
    forms.close(DOSED)


def new_search(token: str) -> None:
    """A new search is for another patient: the one chosen before is let go, with their form (their draft is kept),
    so no value is typed below a search that names someone else (the Chromium review's wrong-patient risk)."""
    forms.current(PICK, token).set("patient", None)


def resume_draft(con, user, draft_id: int) -> None:
    draft = drafts.resume(con, user, draft_id)
    forms.restart(PICK, values={"patient": draft.patient_id})
    forms.restart(GATE, draft.patient_id, values=draft.content, meta={"draft_id": draft.id})


def discard_draft(con, user, draft_id: int) -> None:
    drafts.discard(con, user, draft_id)
    forms.close(GATE)


def keep_draft(con, user, form, patient_id: int) -> None:
    """The pre-dose form as the user's draft whenever it changed: a reload before the dose loses nothing."""
    values = {f: form.get(f) for f in DRAFT_FIELDS if form.get(f) not in (None, "")}
    if values:
        autosave.keep(con, user, form, "dosing", values, patient_id)


def add_reading(con, user, token: str, session_id: int) -> None:
    form = forms.current(READING, token, session_id)
    reading = ds.add_vitals(con, user, session_id, **{f: form.get(f) for f in (
        "minutes_after_dose", "systolic_bp", "diastolic_bp", "heart_rate", "spo2", "respiratory_rate", "moaa_s",
        "dissociation", "bp_remeasured")})
    forms.close(READING)
    notes = " ".join(w.message + "." for w in reading.warnings)
    if reading.adverse_events:
        alert(READING, f"Reading saved. {notes}")
    else:
        done(READING, f"Reading saved. {notes}".strip())


def add_event(con, user, token: str, session_id: int) -> None:
    form = forms.current(EVENT, token, session_id)
    ds.add_adverse_event(con, user, session_id, code=form.get("code"), severity=form.get("severity"),
                         action_taken=form.get("action") or "", description=form.get("description") or "")
    forms.close(EVENT)
    done(EVENT, "Adverse event recorded.")


def stop_session(con, user, token: str, session_id: int) -> None:
    form = forms.current(STOP, token, session_id)
    ds.stop(con, user, session_id, form.get("reason"), form.get("note") or "", delivered_mg=form.get("delivered_mg"))
    forms.close(STOP)
    done("session", "Dosing stopped early. Keep monitoring: the session ends at discharge.")


def discharge(con, user, token: str, session_id: int) -> None:
    form = forms.current(DISCHARGE, token, session_id)
    ds.discharge(con, user, session_id, craving_after=form.get("craving_after"),
                 respiratory_depression=form.get("respiratory_depression"),
                 escort_present=form.get("escort_present"), left_with=form.get("left_with") or "",
                 no_driving_told=bool(form.get("no_driving_told")), delivered_mg=form.get("delivered_mg"))
    forms.close(DISCHARGE)
    done("session", "Discharged. Book the patient's integration-therapy session below.")


def book(con, user, token: str, session_id: int) -> None:
    form = forms.current(BOOK, token, session_id)
    day, hour = form.get("day"), form.get("time")
    if day is None or hour is None:
        raise ValueError("Integration session: choose the day and the time")
    ds.book_integration(con, user, session_id, datetime.combine(day, hour))
    forms.close(BOOK)
    # The session's own slot, shown at its top on the next run: the booking form (and its slot) is gone once booked,
    # and a message left there waited for the next patient's booking form.
    done("session", f"Integration-therapy session booked for {labels.when(datetime.combine(day, hour))}.")


def sign(con, user, token: str, session_id: int) -> None:
    form = forms.current(SIGN, token, session_id)
    password = form.get("password") or ""
    forms.restart(SIGN, session_id)
    ds.sign(con, user, session_id, password)
    forms.close(SIGN)
    done("session", "Session signed. It is now read-only; corrections are addenda.")


def add_addendum(con, user, token: str, session_id: int) -> None:
    form = forms.current(ADDENDUM, token, session_id)
    ds.add_addendum(con, user, session_id, form.get("reason") or "", form.get("text") or "")
    forms.close(ADDENDUM)
    done(ADDENDUM, "Addendum added beside the signed record.")
