"""Self-report (the patient, no account): the questions a clinician asked for, opened by a link or a kiosk code.

Nothing but the form: the patient's first name at most, no chart number, no staff navigation. The link's token is
taken out of the address on the first run (so it stays out of the history and of any referrer) and the session keeps
only what opening it returned (`self_report.Access`), which core checks again on every call. The answers are kept on
the server as they are given, so a patient who closes the tab and opens the link again finds them until it expires.
"""

from datetime import date

import streamlit as st

from core import self_report
from core.rules import instruments
from core.rules.self_report import crisis_message, crisis_so_far
from ui import forms
from ui.patient_frame import address, patient_frame
from ui.questionnaire import item_key, scale
from ui.widgets import plain

store = patient_frame("Your questions from the clinic")
con = store.con
ACCESS = "self_report~access"
MESSAGE = "self_report~message"
SENT = "self_report~sent"
FORM = "self_report"
USED = {False: "No", True: "Yes"}
CRISIS_FROM = {"phq9": {"suicidality"}, "craving_vas": {"urgent_craving"}}
"""The questionnaire whose answer raised each crisis reason: the message is shown right below it."""


def open_link() -> None:
    """The token in the address, used once and removed from it whatever the answer."""
    token = st.query_params.get("t")
    if token is None:
        return
    st.query_params.clear()
    _forget()
    try:
        st.session_state[ACCESS] = self_report.open_by_token(con, token, source=address())
    except self_report.Refused as e:
        st.session_state[MESSAGE] = str(e)


def _forget() -> None:
    """A new link or code starts from nothing: no answers, message or result of another patient stay on screen."""
    for key in (ACCESS, MESSAGE, SENT):
        st.session_state.pop(key, None)
    if forms.existing(FORM) is not None:
        forms.close(FORM)


def open_kiosk(token: str) -> None:
    entry = forms.current("kiosk", token)
    code, born = entry.get("code"), entry.get("born")
    forms.close("kiosk")
    _forget()
    try:
        st.session_state[ACCESS] = self_report.open_by_kiosk(con, code, born, source=address())
    except ValueError as e:  # Refused included: one plain message
        st.session_state[MESSAGE] = str(e)


def kiosk_entry() -> None:
    entry = forms.instance("kiosk")
    st.markdown("Enter the code the clinic gave you, and your date of birth.")
    with st.form(entry.key("form")):
        st.text_input("Code (6 letters and numbers)", max_chars=9, key=entry.key("code"), autocomplete="off")
        st.text_input("Your date of birth (day.month.year, for example 14.03.1988)", max_chars=10,
                      key=entry.key("born"), autocomplete="off")
        st.form_submit_button("Open my questions", type="primary", on_click=open_kiosk, args=(entry.token,))


def values(form: forms.FormInstance, asked: self_report.Form) -> tuple[dict, list[dict]]:
    """The answers on screen as core takes them."""
    answers = {i: [form.get(_item(i, item.key)) for item in instruments.get(i).items] for i in asked.asks}
    days = [{"day": day, "used": form.get(_day(day, "used")),
             "drinks": form.get(_day(day, "drinks")) if asked.counts_drinks else None, "other_used": None}
            for day in asked.days]
    return answers, days


def _item(instrument_id: str, key: str) -> str:
    return item_key("", instruments.get(instrument_id), key)


def _day(day: date, field: str) -> str:
    return f"day_{day.isoformat()}_{field}"


def send(token: str, report_id: int) -> None:
    form = forms.current(FORM, token, report_id)
    access = st.session_state.get(ACCESS)
    try:
        asked = self_report.form(con, access)
        answers, days = values(form, asked)
        sent = self_report.send(con, access, answers, days)
    except self_report.Refused as e:
        _forget()
        st.session_state[MESSAGE] = str(e)
        return
    except ValueError as e:
        st.session_state[MESSAGE] = f"Not sent yet: {e}"
        return
    _forget()
    st.session_state[SENT] = sent


def questions(access: self_report.Access) -> None:
    try:
        asked = self_report.form(con, access)
    except self_report.Refused as e:  # sent from another tab, cancelled or expired since the last run
        _forget()
        st.session_state[MESSAGE] = str(e)
        st.rerun()
    fresh = not forms.is_open(FORM, access.report_id)
    form = forms.instance(FORM, subject=access.report_id)
    if fresh and asked.draft:  # answers kept from an earlier visit to the link
        form = forms.restart(FORM, access.report_id, values=_restored(asked.draft))
    hello, other = st.columns([3, 1], vertical_alignment="center")
    hello.markdown(f"Hello {plain(asked.first_name)}. Please answer these questions for your clinic. You can come "
                   f"back to them until {asked.expires_at:%d %b %Y, %H:%M}; your answers are kept as you go.")
    other.button("Not you? Start again", on_click=_forget, help="Closes these questions on this screen: for a shared "
                 "tablet, so the next person does not see them")
    answers, _ = values(form, asked)
    crisis = {reason.code for reason in crisis_so_far(answers)}
    for instrument_id in asked.asks:
        with st.container(border=True):
            scale(instruments.get(instrument_id), form.prefix)
        if crisis & CRISIS_FROM.get(instrument_id, set()):  # at once, below the answer that calls for it
            st.error(crisis_message(), icon=":material/emergency:")
    if asked.days:
        with st.container(border=True):
            st.markdown("**Use of your main substance, day by day**")
            for day in asked.days:
                left, right = st.columns([2, 1]) if asked.counts_drinks else (st.container(), None)
                left.radio(f"{day:%A %d %b %Y}: did you use?", list(USED), format_func=USED.get, index=None,
                           horizontal=True, key=form.key(_day(day, "used")))
                if right is not None:
                    right.number_input(f"Drinks on {day:%d %b}", step=1.0, value=None,
                                       placeholder="Number of drinks", key=form.key(_day(day, "drinks")))
    answers, days = values(form, asked)
    content = {"answers": answers, "days": [{**d, "day": d["day"].isoformat()} for d in days]}
    if content != asked.draft and _anything(answers, days):
        try:
            self_report.keep_draft(con, access, content)
        except self_report.Refused as e:  # cancelled or expired since the form was drawn
            _forget()
            st.session_state[MESSAGE] = str(e)
            st.rerun()
    message = st.session_state.pop(MESSAGE, None)
    if message:
        st.error(message, icon=":material/block:")
    st.button("Send my answers", type="primary", on_click=send, args=(form.token, access.report_id))


def _anything(answers: dict, days: list[dict]) -> bool:
    return any(a is not None for given in answers.values() for a in given) or any(
        d["used"] is not None or d["drinks"] is not None for d in days)


def _restored(draft: dict) -> dict:
    """Widget values from a kept draft (what `questions` stored), by widget field name."""
    fields = {}
    for instrument_id, given in draft.get("answers", {}).items():
        for item, answer in zip(instruments.get(instrument_id).items, given, strict=False):
            if answer is not None:
                fields[_item(instrument_id, item.key)] = answer
    for d in draft.get("days", []):
        day = date.fromisoformat(d["day"])
        for field in ("used", "drinks"):
            if d.get(field) is not None:
                fields[_day(day, field)] = d[field]
    return fields


def finished(sent: self_report.Sent) -> None:
    if sent.crisis:
        st.error(sent.message, icon=":material/emergency:")
    st.success("Thank you. Your answers were sent to the clinic.", icon=":material/check_circle:")
    st.button("Done", on_click=_forget)


open_link()
if SENT in st.session_state:
    finished(st.session_state[SENT])
elif ACCESS in st.session_state:
    questions(st.session_state[ACCESS])
else:
    message = st.session_state.pop(MESSAGE, None)
    if message:
        st.error(message, icon=":material/block:")
    kiosk_entry()
