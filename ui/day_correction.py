"""One use day corrected, or a missing one added, between visits: a patient phones about a day, and the clinician
changes that day alone, with a reason, instead of filling in a whole check-in."""

from datetime import date

import pandas as pd
import streamlit as st

from core import checkins
from ui import forms
from ui.actions import act, done, show

FORM = "day_correction"
USE = {"No use": False, "Used": True}
OTHER = {"No": False, "Yes": True}


def save(con, user, token: str, patient_id: int, earliest: date) -> None:
    form = forms.current(FORM, token, patient_id)
    day = form.get("day")
    if day is None:  # also what the date box holds when a day outside its range was typed
        raise ValueError(f"Day: choose a day from {earliest:%d %b %Y} to today")
    result = checkins.correct_day(con, user, patient_id, day=day, used=USE.get(form.get("used")),
                                  drinks=form.get("drinks"), other_used=OTHER.get(form.get("other")),
                                  reason=form.get("reason") or "")
    forms.close(FORM)
    done(FORM, f"{day:%d %b %Y} {result}. It is in the use log and the outcomes; the change is in the audit log.")


def correction_form(con, user, ctx: checkins.Context) -> None:
    form = forms.instance(FORM, subject=ctx.patient_id)
    st.caption("For one day the patient tells you about between visits, or a day of the baseline before treatment "
               f"(from {ctx.log_earliest:%d %b %Y}, {baseline_days(ctx)} days before the screening). A day already "
               "recorded keeps what it replaced, with your reason.")
    day = st.date_input("Day", value=None, min_value=ctx.log_earliest, max_value=date.today(), format="DD.MM.YYYY",
                        key=form.key("day"))
    if day is not None:
        recorded = checkins.use_log(con, user, ctx.patient_id, day, day)
        st.markdown(recorded_text(recorded))
    left, right = st.columns(2)
    left.radio("Primary substance that day", list(USE), index=None, horizontal=True, key=form.key("used"))
    right.radio("Another substance that day", list(OTHER), index=None, horizontal=True, key=form.key("other"))
    if ctx.primary_substance == "alcohol":
        st.number_input("Standard drinks (14 g each; leave empty if not known)", min_value=0.0, value=None,
                        step=1.0, key=form.key("drinks"))
    st.text_input("Reason for the correction (who told you, and when)", key=form.key("reason"))
    show(FORM)
    st.button("Save this day", type="primary",
              on_click=act(save, form.token, ctx.patient_id, ctx.log_earliest, allow=checkins.RECORDERS, slot=FORM))


def baseline_days(ctx: checkins.Context) -> int:
    return (ctx.screened_on - ctx.log_earliest).days


def recorded_text(recorded) -> str:
    if recorded.empty:
        return "Not recorded yet: saving adds it."
    row = recorded.iloc[0]
    what = "Used" if row["used"] else "No use"
    if row["used"] and pd.notna(row["drinks"]):
        what += f", {row['drinks']:g} standard drinks"
    other = {True: "yes", False: "no"}.get(row["other_used"] if pd.notna(row["other_used"]) else None, "not answered")
    return f"Recorded now: **{what}; another substance: {other}**. Saving replaces the whole day."
