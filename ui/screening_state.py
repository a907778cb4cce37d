"""The screening form's state: one form instance, its server-side draft, and the clicks that act on it.

Every click handler takes the form token (and subject) it was drawn with, so a click on
a form that was saved, cancelled or switched to another patient in the meantime is
refused (`forms.current`). A re-screen is a form instance whose subject is the patient
id; its identity fields are the chart's unless the nurse unlocks them on purpose.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import date, datetime, time

import streamlit as st

from core import db, drafts, patients
from core.rules import identity, instruments
from core.rules.eligibility import same_day_signals
from core.screening_form import FormErrors, validate_screening
from ui import forms, labels
from ui.actions import Stale, done
from ui.forms import FormInstance
from ui.widgets import plain

FORM = "screening"
SAVED = "screening~saved"
DRAFT_LOCK = "screening~draft_lock"
DISCARDING = "screening~discarding"

FIELDS = ("first_name", "last_name", "date_of_birth", "sex", "mrn", "phone", "emergency_contact",
          "primary_substance", "other_substances", "days_used_30", "last_use_date", "last_use_time", "years_of_use",
          "prior_treatments", "prior_treatment_other", "systolic_bp", "diastolic_bp", "pregnant", "conditions",
          "medications", "goal", "integration_therapy_willing", "escort_available", "bp_remeasured",
          "other_substances_text", "conditions_other", "medications_other")
IDENTITY = ("first_name", "last_name", "date_of_birth", "sex", "mrn")
CONTACT = ("phone", "emergency_contact")
UNLOCK = "identity_unlocked"
NOTICE = "notice"
"""Meta key: what the form must tell the nurse for as long as it is open (why it is empty, or not on a chart)."""
BASIS = "rescreen_of"
"""A re-screen keeps the chart's identity as it was when the re-screen opened, so a form saved or a draft resumed
after someone else corrected that chart is neither put back on it unchecked nor allowed to undo the correction."""
SCALES = (instruments.PHQ9, instruments.GAD7, instruments.PCL5, instruments.AUDITC)
ITEM_FIELDS = tuple(f"{i.id}_{item.key}" for i in (*SCALES, instruments.CSSRS) for item in i.items)


def form() -> FormInstance:
    return forms.opened(FORM)


def typed(values: dict) -> dict:
    """Values as the form's text boxes hold them: a stored date or time becomes the text a nurse would type."""
    def text(value):
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, time):
            return f"{value:%H:%M}"
        return value

    return {field: text(value) for field, value in values.items()}


def content(f: FormInstance) -> dict:
    """Everything typed, by field name: what a draft keeps."""
    return {field: f.get(field) for field in (*FIELDS, *ITEM_FIELDS, UNLOCK, BASIS)}


def has_input(values: dict) -> bool:
    return any(v not in (None, "", [], False) for k, v in values.items() if k != BASIS)


def person(values: dict) -> identity.Person:
    """Who the form says the patient is (name and date of birth as typed)."""
    return identity.Person(values.get("first_name"), values.get("last_name"), values.get("date_of_birth"))


def gather(f: FormInstance) -> dict:
    """What validate_screening reads."""
    return raw_from(content(f))


def raw_from(values: dict) -> dict:
    """The form's values by field name as validate_screening reads them, C-SSRS skips dropped as the form hides them."""
    raw = {key: values.get(key) for key in FIELDS}
    for instrument in SCALES:
        raw[instrument.id] = [values.get(f"{instrument.id}_{item.key}") for item in instrument.items]
    answers = {item.key: values.get(f"cssrs_{item.key}") for item in instruments.CSSRS.items}
    answers = {key: value for key, value in answers.items() if value is not None}
    if not answers.get("q2"):
        for key in instruments.CSSRS_SKIPPED_WHEN_Q2_NO:
            answers.pop(key, None)
    if not answers.get("behavior_lifetime"):
        answers.pop("behavior_3mo", None)
    raw["cssrs"] = answers
    return raw


def signals(raw: dict) -> tuple[str, ...]:
    """The same-day safety signals among the answers given so far (a draft's too)."""
    return same_day_signals(raw["phq9"][8], raw["cssrs"])


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
                                        acknowledged_duplicates=frozenset(acknowledged),
                                        opened_as=opened_as(content(f)))
    except patients.DuplicatesFound as e:
        f.meta["duplicates"] = {"rows": e.duplicates, "fingerprint": fingerprint(raw)}
        return
    except patients.ChartChanged:
        _follow_the_chart(con, user, f)
        return
    forms.close(FORM)
    st.session_state[SAVED] = {"patient_id": saved.patient_id, "patient": saved.patient,
                               "decision": saved.decision.status, "urgent": saved.decision.urgent,
                               "signals": signals(raw)}


def acknowledge_duplicates(con, user, token: str, subject: int | None, seen: tuple, seen_fingerprint: tuple) -> None:
    """'Different person': valid only for the duplicates shown, and only while the identity is what was checked."""
    f = forms.current(FORM, token, subject)
    if fingerprint(gather(f)) != seen_fingerprint:
        f.meta.pop("duplicates", None)
        raise Stale("The name, date of birth or chart number changed after the duplicate check; nothing was saved. "
                    "Save again to check the new details.")
    save(con, user, token, subject, seen)


def rescreen_duplicate(con, user, token: str, subject: int | None, patient_id: int) -> None:
    """The person typed is that patient on two identifiers: the answers go to their re-screen, for review, then Save.

    The check is made again here, against the chart as it is now: a chart number alone never moves anything.
    """
    f = forms.current(FORM, token, subject)
    try:
        record = patients.confirm_same_person(con, user, patient_id, person(content(f)))
    except patients.NotSamePerson:
        f.meta.pop("duplicates", None)  # that warning no longer describes the chart: Save checks afresh
        raise
    values = {**content(f), **_chart_identity(record.patient), UNLOCK: False}
    forms.restart(FORM, patient_id, values, meta={"draft_id": f.meta.get("draft_id"), "label": _label(record.patient),
                                                 "status": record.patient["status"]})


def rescreen_empty(con, user, token: str, subject: int | None, patient_id: int) -> None:
    """The chart number typed is someone else's: re-screen that patient on an empty form.

    Nothing typed is copied; it stays the user's unfinished screening of the person it was typed for.
    """
    f = forms.current(FORM, token, subject)
    typed_for = draft_who_from(content(f))
    start_rescreen(con, user, patient_id)
    form().meta[NOTICE] = (f"This re-screen starts empty. What you typed for {typed_for} was not copied: it is kept "
                           "as your unfinished screening, listed above, to resume and give its own chart number.")


def correct_chart_number(con, user, token: str, subject: int | None) -> None:
    """The chart number typed belongs to someone else: empty it for this person's own number; keep the rest."""
    f = forms.current(FORM, token, subject)
    taken = f.get("mrn")
    f.meta.pop("duplicates", None)
    f.set("mrn", "")
    done("page", f"Chart number {plain(taken or '')} belongs to another patient: type this person's own chart "
                 "number, then Save.")


def start_rescreen(con, user, patient_id: int) -> None:
    """A re-screen starts from the identity, contact details and substance the chart holds."""
    record = patients.chart(con, user, patient_id)
    values = {**_chart_identity(record.patient), **typed({"primary_substance": record.patient["primary_substance"]})}
    forms.restart(FORM, patient_id, values, meta={"label": _label(record.patient), "status": record.patient["status"]})
    st.session_state.pop(SAVED, None)


def _chart_identity(patient: dict) -> dict:
    """The chart's identity and contact details as the form's fields, and the chart's identity as it is now."""
    values = typed({k: patient[k] for k in (*IDENTITY, *CONTACT)})
    values[BASIS] = {k: patient[k] for k in IDENTITY}
    return values


def opened_as(values: dict) -> dict:
    """The chart's identity when this re-screen opened: kept in BASIS; a locked field of an older draft (BASIS
    with name and date of birth only) still shows the chart's value from then."""
    at_open = {} if values.get(UNLOCK) else {k: values.get(k) for k in IDENTITY}
    return {**at_open, **(values.get(BASIS) or {})}


def _left_the_chart(mrn: str) -> str:
    return (f"The chart this re-screen was started for ({mrn}) now has a different name or date of birth: someone "
            "changed it after you began. Your answers were not put back on that chart; they are open here as a new "
            "patient's screening. Check who the person is: Save offers that chart again only if the name and date "
            "of birth match it.")


def _followed(changed: tuple[str, ...], patient: dict) -> str:
    shown = {**typed(patient), "sex": labels.SEX.get(patient["sex"], patient["sex"])}
    now = ", ".join(f"{labels.IDENTITY_FIELD[k]} {shown[k]}" for k in changed) or "as stored"
    return (f"Someone changed this chart after you began: the form now shows it as it is ({now}). Nothing was "
            "saved yet. Check the identity with the patient, then Save.")


def _follow_the_chart(con, user, f: FormInstance) -> None:
    """Save found the chart changed since the re-screen opened: reopen the form as the chart is now."""
    _reopen(con, user, f.subject, content(f), {"draft_id": f.meta.get("draft_id"), "newer": f.meta.get("newer", ())})


def _reopen(con, user, subject: int, values: dict, meta: dict, began: datetime | None = None) -> None:
    """Open a re-screen's answers again on its chart only if the chart still names the person it was opened for.

    If it names someone else now, the answers open as a new patient's screening, and Save's duplicate check offers
    the chart again only on two identifiers. A chart number or sex corrected meanwhile is followed, never undone:
    the form shows the chart as it is, for the nurse to check before saving. A draft `began` at some time also
    lists the screenings of that patient saved since.
    """
    at_open = opened_as(values)
    try:
        record = patients.confirm_same_person(con, user, subject, person(at_open))
    except patients.NotSamePerson as someone_else:
        values = {k: v for k, v in values.items() if k not in (UNLOCK, BASIS)}
        forms.restart(FORM, None, values, meta=meta | {NOTICE: _left_the_chart(someone_else.mrn)})
        return
    meta = meta | {"label": _label(record.patient), "status": record.patient["status"]}
    if began is not None:
        meta["newer"] = _saved_since(record, began)
    changed = patients.changed_since(at_open, record.patient)
    if changed:
        values = values | {**typed({k: record.patient[k] for k in changed}),
                           BASIS: _chart_identity(record.patient)[BASIS]}
        meta[NOTICE] = _followed(changed, record.patient)
    forms.restart(FORM, subject, values, meta=meta)


def cancel(con, user, token: str, subject: int | None) -> None:
    f = forms.current(FORM, token, subject)
    label, draft_id = f.meta.get("label") or "the patient", f.meta.get("draft_id")
    if draft_id is not None:
        drafts.discard(con, user, draft_id)
    forms.close(FORM)
    done("page", f"Re-screen of {plain(label)} cancelled; nothing was saved.")


def resume(con, user, draft_id: int) -> None:
    """Open a draft again; a re-screen goes back on its chart only if that chart still names the same person.

    The chart may have been corrected by someone else since the draft began; then the answers
    open as a new patient's screening, and Save's duplicate check offers the chart again only
    on two identifiers.
    """
    draft = drafts.resume(con, user, draft_id)
    meta = {"draft_id": draft.id}
    if draft.patient_id is None:
        forms.restart(FORM, None, typed(draft.content), meta=meta)
    else:
        _reopen(con, user, draft.patient_id, typed(draft.content), meta, began=draft.started_at)
    st.session_state.pop(SAVED, None)


def _saved_since(record: patients.Chart, started_at) -> list[str]:
    """Screenings of this patient saved after the draft began (by someone else, or on another screen)."""
    newer = record.screenings[record.screenings["screened_at"] > started_at]
    return [f"{row.screened_at:%d %b %Y at %H:%M} by {row.screened_by or 'an unknown account'}"
            for row in newer.itertuples()]


def ask_discard(draft_id: int) -> None:
    """First click on Discard: nothing is removed until the nurse confirms."""
    st.session_state[DISCARDING] = draft_id


def keep(con, user) -> None:
    st.session_state.pop(DISCARDING, None)


def discard(con, user, draft_id: int) -> None:
    st.session_state.pop(DISCARDING, None)
    drafts.discard(con, user, draft_id)
    if form().meta.get("draft_id") == draft_id:
        forms.close(FORM)
    done("page", "The unfinished screening was discarded.")


def new_screening(con, user) -> None:
    st.session_state.pop(SAVED, None)
    forms.close(FORM)


def draft_who(draft: drafts.Draft) -> str:
    return draft_who_from(draft.content)


def draft_who_from(values: dict) -> str:
    names = [n for n in (values.get("last_name"), values.get("first_name")) if n]
    who = ", ".join(names) or "a new patient (no name yet)"
    mrn = values.get("mrn")
    return f"{who} (chart number {mrn})" if mrn else who


def draft_label(draft: drafts.Draft) -> str:
    return f"Resume the screening of {draft_who(draft)} started {draft.started_at:%H:%M on %d %b}"


def _label(patient: dict) -> str:
    return f"{patient['last_name']}, {patient['first_name']} (chart number {patient['mrn']})"
