"""The Check-ins page's click handlers, and the use-log grid's state they act on: each handler runs through `act()`
(or as a field's change callback) and refuses with ValueError; the page itself only draws (issue 21.5)."""

from datetime import datetime, timedelta

import pandas as pd
import streamlit as st

from core import checkins, drafts, integration_notes, safety
from core.rules import instruments
from ui import forms, labels, questionnaire, selection
from ui.actions import alert, done

PATIENT = "checkin_patient"
"""The selection: the patient whose check-in is on screen, by id."""
CHECKIN, NOTE, ADDENDUM = "checkin", "integration_note", "note_addendum"
UNANSWERED = "Not answered"
"""Shown in a day's cell until it is answered: an empty cell reads 'None', which could be taken for 'no use'."""
USE = {UNANSWERED: None, "No use": False, "Used": True}
OTHER = {UNANSWERED: None, "No": False, "Yes": True}
SECOND_VISIT = "second_same_day"


def open_patient(con, user, patient_id: int) -> None:
    selection.choose(PATIENT, patient_id)


# The use-log grid: its rows live in the form's server-side meta; the grid widget holds only the edits on top.


def initial_days(con, user, patient_id: int, start, today) -> list[dict]:
    logged = checkins.use_log(con, user, patient_id, start, today)
    recorded = logged.set_index(logged["day"].dt.date)
    rows = []
    for offset in range((today - start).days + 1):
        day = start + timedelta(days=offset)
        row = {"day": day, "use": UNANSWERED, "drinks": "", "other": UNANSWERED, "recorded": ""}
        if day in recorded.index:
            r = recorded.loc[day]
            row.update(use="Used" if r["used"] else "No use",
                       drinks="" if pd.isna(r["drinks"]) else f"{r['drinks']:g}",
                       other=UNANSWERED if pd.isna(r["other_used"]) else ("Yes" if r["other_used"] else "No"))
            row["recorded"] = labels.use_day(row["use"], row["drinks"], row["other"])
        rows.append(row)
    return rows


def grid_key(form) -> str:
    return form.key(f"days_{form.meta.setdefault('grid', 0)}")


def current_days(form) -> list[dict]:
    """The grid's rows as on screen: the rows it was drawn from with the user's edits applied."""
    rows = [dict(r) for r in form.meta.get("days", [])]
    edits = st.session_state.get(grid_key(form), {}).get("edited_rows", {})
    for index, change in edits.items():
        if int(index) < len(rows):
            rows[int(index)].update(change)
    return rows


def redraw_days(form, rows: list[dict]) -> None:
    form.meta["days"] = rows
    form.meta["grid"] = form.meta.get("grid", 0) + 1


def no_use_for_the_rest(token: str, patient_id: int) -> None:
    """One click for a run of days: every day not yet answered becomes 'no use' (other substances too)."""
    form = forms.current(CHECKIN, token, patient_id)
    rows = current_days(form)
    for row in rows:
        if USE.get(row["use"]) is None:
            row["use"] = "No use"
            if OTHER.get(row["other"]) is None:
                row["other"] = "No"
    redraw_days(form, rows)


def start_log_on(con, user, token: str, patient_id: int) -> None:
    form = forms.current(CHECKIN, token, patient_id)
    start = form.get("log_from")
    if start is not None:
        redraw_days(form, initial_days(con, user, patient_id, start, datetime.now().date()))


def show_recorded(con, user, form, patient_id: int) -> None:
    """After a refused save, the grid's 'Already recorded' column shows what is stored now (another person may
    have saved a day meanwhile), keeping every answer the user typed."""
    rows = current_days(form)
    if not rows:
        return
    stored = {r["day"]: r["recorded"] for r in initial_days(con, user, patient_id, rows[0]["day"], rows[-1]["day"])}
    for row in rows:
        row["recorded"] = stored.get(row["day"], row["recorded"])
    redraw_days(form, rows)


def use_days(rows: list[dict]) -> list[dict]:
    """The days the user answered (or half-answered, for core to name), in the shape core takes."""
    given = []
    for row in rows:
        drinks = (row.get("drinks") or "").strip() or None
        if USE.get(row.get("use")) is None and drinks is None and OTHER.get(row.get("other")) is None:
            continue
        given.append({"day": row["day"], "used": USE.get(row.get("use")), "drinks": drinks,
                      "other_used": OTHER.get(row.get("other"))})
    return given


def answers(form, ctx: checkins.Context) -> dict:
    collected = {}
    for instrument_id in (*checkins.EVERY_VISIT, "pcl5"):
        instrument = instruments.get(instrument_id)
        collected[instrument_id] = [st.session_state.get(questionnaire.item_key(form.prefix, instrument, item.key))
                                    for item in instrument.items]
    cssrs = instruments.get("cssrs")
    collected["cssrs"] = {item.key: value for item in cssrs.items
                          if (value := st.session_state.get(questionnaire.item_key(form.prefix, cssrs, item.key)))
                          is not None}
    if not ctx.pcl5_due:
        del collected["pcl5"]
    return collected


def save_checkin(con, user, token: str, patient_id: int) -> None:
    form = forms.current(CHECKIN, token, patient_id)
    ctx = checkins.context(con, user, patient_id)
    day, hour = form.get("visit_day"), form.get("visit_time")
    visit = datetime.combine(day, hour) if day is not None and hour is not None else None
    try:
        saved = checkins.record(con, user, patient_id, visit_at=visit, answers=answers(form, ctx),
                                use_days=use_days(current_days(form)), correction_reason=form.get("correction") or "",
                                note=form.get("note") or "", draft_id=form.meta.get("draft_id"),
                                second_same_day=bool(form.get(SECOND_VISIT)))
    except checkins.SameDayCheckin:
        form.meta["same_day_asked"] = True
        show_recorded(con, user, form, patient_id)
        raise
    except ValueError:
        show_recorded(con, user, form, patient_id)
        raise
    forms.close(CHECKIN)
    message = (f"Check-in saved: {saved.days_added} new use day(s)"
               + (f", {saved.days_corrected} corrected" if saved.days_corrected else "") + ".")
    if saved.followup_raised:
        where = ("record it on Home" if user.role in safety.CLINICIANS else
                 "tell the nurse or prescriber now: it is on their Home list")
        alert(CHECKIN, message + " **A same-day safety assessment is needed** (thoughts of self-harm or C-SSRS risk): "
                                 f"do not let the patient leave without it; {where}.")
    else:
        done(CHECKIN, message)


def discard_checkin(con, user, token: str, patient_id: int) -> None:
    form = forms.current(CHECKIN, token, patient_id)
    if form.meta.get("draft_id") is not None:
        drafts.discard(con, user, form.meta["draft_id"])
    forms.close(CHECKIN)
    st.session_state[f"checkin~no_restore~{patient_id}"] = True
    done(CHECKIN, "The unfinished check-in was discarded.")


def write_note(con, user, token: str, patient_id: int) -> None:
    form = forms.current(NOTE, token, patient_id)
    day, hour = form.get("met_day"), form.get("met_time")
    met = datetime.combine(day, hour) if day is not None and hour is not None else None
    try:
        integration_notes.write(con, user, patient_id, form.get("session"), met_at=met, themes=form.get("themes"),
                                reflections=form.get("reflections"), plan=form.get("plan"),
                                password=form.get("password") or "", draft_id=form.meta.get("draft_id"))
    finally:
        form.set("password", "")  # a signature never outlives the attempt it was typed for
    forms.close(NOTE)
    done(NOTE, "Integration note signed and saved.")


def add_addendum(con, user, token: str, patient_id: int) -> None:
    form = forms.current(ADDENDUM, token, patient_id)
    note_id = form.get("note")
    if note_id is None:
        raise ValueError("Signed note: choose the note the addendum belongs to")
    integration_notes.add_addendum(con, user, note_id, form.get("reason") or "", form.get("text") or "")
    forms.close(ADDENDUM)
    done(ADDENDUM, "Addendum added beside the signed note.")


def offer_time(token: str, patient_id: int, offered: dict) -> None:
    """A session chosen: its date and time as offered (the booking, else the discharge), for the therapist to change
    when they met at another time."""
    form = forms.current(NOTE, token, patient_id)
    at = offered.get(form.get("session"))
    if at is not None:
        form.set("met_day", at.date())
        form.set("met_time", at.time())
