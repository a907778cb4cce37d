"""REMS forms (nurses, prescribers): the Spravato REMS Patient Monitoring Form of every intranasal session.

The list shows the forms not yet submitted with the days left of the REMS's 7 (overdue said in words); a click opens
one: what the session's record holds filled in, read-only, with its source; the rest typed; Save keeps the draft on the
server, Mark complete is refused while a field is empty (what was typed stays on screen), Mark submitted records who
sent it and when. A print view lays the form out plainly on one sheet for the browser's Print.
"""

from html import escape

import pandas as pd
import streamlit as st

from core import rems
from core.rules import rems as rule
from core.rules.settings import current
from ui import forms, paging, reads, selection
from ui.actions import act, done, show
from ui.frame import frame
from ui.rems_link import FORM as CHOSEN
from ui.store import clinic
from ui.widgets import plain

user = frame("REMS forms", allow=rems.REMS_TEAM)
con = clinic().con
FORM = "rems_answers"
PRINT = "rems~print"
LIST_PAGE = "rems~list_page"
"""The session whose form is shown as the print view (one sheet), if any."""
YES_NO = {True: "Yes", False: "No"}

PRINT_CSS = """<style>
.rems-print { font-size: 9pt; line-height: 1.2; color: #000; }
.rems-print h2 { font-size: 13pt; margin: 0 0 4px 0; padding: 0; }
.rems-print p { margin: 0 0 6px 0; }
.rems-print table { border-collapse: collapse; width: 100%; }
.rems-print th, .rems-print td { border: 1px solid #555; padding: 1px 5px; text-align: left; vertical-align: top; }
.rems-print th { background: #e8e8e8; }
.rems-print td.value { width: 45%; }
@media print {
  section[data-testid="stSidebar"], header[data-testid="stHeader"], [data-testid="stToolbar"],
  [data-testid="stDecoration"], .stButton, h1 { display: none !important; }
  [data-testid="stAppViewContainer"], [data-testid="stMain"], [data-testid="stMainBlockContainer"], .main {
    overflow: visible !important; height: auto !important; padding: 0 !important; margin: 0 !important; }
  @page { margin: 12mm; }
}
</style>"""
"""The print view on paper: no sidebar, header or buttons, the page's own scrolling undone so all of it prints, small
plain type in one table that fits one sheet."""


def open_form(session_id: int) -> None:
    act(_choose, session_id, allow=rems.REMS_TEAM)()


def _choose(con, user, session_id: int) -> None:
    selection.choose(CHOSEN, session_id)
    st.session_state.pop(PRINT, None)


def close_form() -> None:
    selection.clear(CHOSEN)
    st.session_state.pop(PRINT, None)
    if forms.existing(FORM) is not None:
        forms.close(FORM)


def typed(form: forms.FormInstance) -> dict:
    """What the widgets on screen hold, by field; core keeps only the fields the record does not answer."""
    values = {}
    for field in rule.FIELDS:
        if field.kind == "bp":
            pair = (form.get(field.key + "~systolic"), form.get(field.key + "~diastolic"))
            values[field.key] = None if pair == (None, None) else pair
        else:
            values[field.key] = form.get(field.key)
    return values


def kept_if_saved_meanwhile(handler):
    """Someone saved the form after this screen opened it: the refusal stands, and the form offers their answers
    beside the user's (the page draws them) until the user chooses which to keep."""
    def run(con, user, token: str, session_id: int) -> None:
        try:
            handler(con, user, token, session_id)
        except rems.SavedMeanwhile as theirs:
            forms.current(FORM, token, session_id).meta["saved_meanwhile"] = theirs.saved_at
            raise
    return run


@kept_if_saved_meanwhile
def save(con, user, token: str, session_id: int) -> None:
    entry = forms.current(FORM, token, session_id)
    entry.meta["opened"] = rems.save(con, user, session_id, typed(entry), opened=entry.meta.get("opened"))
    entry.meta.pop("saved_meanwhile", None)
    done("page", "Saved as the form's draft. Any field may still be empty until you mark it complete.")


@kept_if_saved_meanwhile
def complete(con, user, token: str, session_id: int) -> None:
    entry = forms.current(FORM, token, session_id)
    rems.complete(con, user, session_id, typed(entry), opened=entry.meta.get("opened"))
    forms.close(FORM)
    done("page", "Marked complete. Send it to the REMS (online or by fax), then mark it submitted.")


def keep_mine(con, user, token: str, session_id: int) -> None:
    """The user has seen the other answers and keeps theirs: saved over the version now stored."""
    entry = forms.current(FORM, token, session_id)
    entry.meta["opened"] = entry.meta["saved_meanwhile"]  # the version the user was shown, not a later one
    save(con, user, token, session_id)


def take_theirs(con, user, token: str, session_id: int) -> None:
    forms.current(FORM, token, session_id)
    forms.close(FORM)
    done("page", "The form shows the answers saved by your colleague; what you had typed is gone.")


def saved_meanwhile(form: rems.Form, entry: forms.FormInstance) -> None:
    """The other person's saved answers beside the user's, where they differ, and the two ways on."""
    mine = typed(entry)
    differ = [k for k in form.asked if rule.clean_or_none(k, mine.get(k)) != form.answers.get(k)]

    def yours(key: str) -> str:
        cleaned = rule.clean_or_none(key, mine.get(key))
        if cleaned is not None:
            return rule.shown(key, cleaned)
        return "(empty)" if mine.get(key) in (None, "", (None, None)) else f"{mine.get(key)} (not accepted)"

    st.warning(f"**{plain(form.saved_by)} saved this form at {form.saved_at:%H:%M}, after you opened it.** Where "
               "their answers and yours differ:", icon=":material/group:")
    st.table(pd.DataFrame({
        "Field": [rule.BY_KEY[k].label for k in differ],
        f"Saved by {form.saved_by}": [rule.shown(k, form.answers.get(k)) or "(empty)" for k in differ],
        "Yours, on this screen": [yours(k) for k in differ],
    }), hide_index=True)
    left, right = st.columns(2)
    left.button("Show their answers (drop mine)", icon=":material/undo:",
                on_click=act(take_theirs, entry.token, form.session_id, allow=rems.REMS_TEAM, about=form.patient))
    right.button("Save mine over theirs", icon=":material/save_as:",
                 on_click=act(keep_mine, entry.token, form.session_id, allow=rems.REMS_TEAM, about=form.patient))


def submit(con, user, session_id: int) -> None:
    rems.submit(con, user, session_id)
    done("page", "Marked submitted: who sent it and when are recorded.")


def show_print(session_id: int | None) -> None:
    if session_id is None:
        st.session_state.pop(PRINT, None)
    else:
        st.session_state[PRINT] = session_id


def due_list() -> None:
    due = rems.due_forms(con, user, page=st.session_state.get(LIST_PAGE, 1))
    st.session_state[LIST_PAGE] = due.page
    if due.total == 0:
        st.info("No REMS form is waiting: every intranasal session's form has been submitted.")
        return
    reads.listed(con, user, "REMS forms: not yet submitted" + (f", page {due.page}" if due.page > 1 else ""),
                 due.rows["patient_id"])
    st.caption(f"{due.total} form(s) not yet submitted, {due.overdue} of them overdue, the soonest due first. The "
               f"REMS asks for each within {current().rems_form_due_days} days of the session. Click a form to open "
               "it.")
    shown = due.rows.assign(status=due.rows["status"].map(rems.STATUS_WORDS))
    selection.table(CHOSEN, shown, "session_id", {
        "patient": "Patient", "chart_number": "Chart number", "session_number": "Session",
        "treatment_date": st.column_config.DateColumn("Treatment date", format="DD MMM YYYY"),
        "due_date": st.column_config.DateColumn("Due by", format="DD MMM YYYY"), "due": "Days left of the 7",
        "status": "Form",
    }, choose_with=open_form)
    if due.pages > 1:
        paging.pager(LIST_PAGE, due.page, due.pages, f"page {due.page} of {due.pages}")


def record_table(form: rems.Form, keys: list[str]) -> None:
    """Fields read from the record (or the whole form once complete), one line each with where it came from."""
    st.table(pd.DataFrame({
        "Field": [rule.BY_KEY[k].label for k in keys],
        "Value": [rule.shown(k, form.values.get(k)) or "(empty)" for k in keys],
        "From": [form.prefilled[k].source if k in form.prefilled else "typed on this form" for k in keys],
    }), hide_index=True)


def widget(entry: forms.FormInstance, key: str) -> None:
    field = rule.BY_KEY[key]
    if field.kind == "text":
        st.text_input(field.label, key=entry.key(key), max_chars=rule.TEXT_LIMIT)
    elif field.kind == "yes_no":
        st.radio(field.label, list(YES_NO), format_func=YES_NO.get, index=None, horizontal=True, key=entry.key(key))
    elif field.kind == "minutes":
        st.number_input(field.label, min_value=0, step=1, value=None, key=entry.key(key))  # the limit: core names it
    elif field.kind == "dose":
        st.number_input(field.label, min_value=0.0, step=28.0, value=None, key=entry.key(key))
    else:
        systolic, diastolic = st.columns(2)
        systolic.number_input(f"{field.label}: systolic (mmHg)", min_value=0, step=1, value=None,
                              key=entry.key(key + "~systolic"))
        diastolic.number_input(f"{field.label}: diastolic (mmHg)", min_value=0, step=1, value=None,
                               key=entry.key(key + "~diastolic"))


def initial(answers: dict) -> dict:
    """The saved draft as widget values (a pressure as its two boxes); an empty answer leaves its widget empty."""
    values = {}
    for key, value in answers.items():
        if value is None or key not in rule.BY_KEY:
            continue
        if rule.BY_KEY[key].kind == "bp":
            values[key + "~systolic"], values[key + "~diastolic"] = value
        else:
            values[key] = value
    return values


def status_line(form: rems.Form) -> str:
    parts = [f"**{rems.STATUS_WORDS[form.status]}**"]
    if form.status != "submitted":
        parts.append(f"due by {form.due_date:%d %b %Y} ({rule.due_words(form.days_left)})")
    if form.saved_at is not None:
        parts.append(f"last saved by {plain(form.saved_by)} on {form.saved_at:%d %b %Y, %H:%M}")
    if form.completed_at is not None:
        parts.append(f"completed by {plain(form.completed_by)} on {form.completed_at:%d %b %Y, %H:%M}")
    if form.submitted_at is not None:
        parts.append(f"submitted by {plain(form.submitted_by)} on {form.submitted_at:%d %b %Y, %H:%M}")
    return " · ".join(parts)


def form_view(session_id: int) -> None:
    st.button("Back to the list of forms", icon=":material/arrow_back:", on_click=close_form)
    try:
        form = rems.form(con, user, session_id)
    except ValueError as e:
        close_form()
        st.warning(str(e))
        return
    reads.opened(con, user, "REMS form", session_id, rems.record_view)
    if st.session_state.get(PRINT) == session_id:
        print_view(form)
        return
    st.header(plain(f"{form.patient}: session {form.session_number}, {form.treatment_date:%d %b %Y}"))
    st.markdown(f"Chart number {plain(form.chart_number)} · {status_line(form)}")
    if form.days_left < 0 and form.status != "submitted":
        st.error(f"Overdue: the REMS asks for this form within {current().rems_form_due_days} days of the session "
                 f"(by {form.due_date:%d %b %Y}).", icon=":material/schedule:")
    entry = None
    if form.editable:
        if not forms.is_open(FORM, session_id):
            forms.restart(FORM, session_id, values=initial(form.answers), meta={"opened": form.saved_at})
        entry = forms.instance(FORM, session_id)
    for section in rule.SECTIONS:
        st.subheader(section)
        keys = [f.key for f in rule.FIELDS if f.section == section]
        typed_here = [k for k in keys if entry is not None and k in form.asked]
        if len(typed_here) < len(keys):
            record_table(form, [k for k in keys if k not in typed_here])
        for pair in (typed_here[i:i + 2] for i in range(0, len(typed_here), 2)):
            for column, key in zip(st.columns(2), pair, strict=False):
                with column:
                    widget(entry, key)
        if section == rule.EVENTS and form.events:
            st.caption("Adverse events recorded in the session: " + "; ".join(plain(e) for e in form.events))
    if entry is not None and form.missing:
        st.caption(("Still empty when last saved: " if form.saved_at else "Still empty: ") + "; ".join(form.missing))
    show("page")
    if entry is not None and entry.meta.get("saved_meanwhile"):
        saved_meanwhile(form, entry)
        return
    left, middle, right = st.columns(3)
    if entry is not None:
        left.button("Save", icon=":material/save:",
                    on_click=act(save, entry.token, session_id, allow=rems.REMS_TEAM, about=form.patient))
        middle.button("Mark complete", type="primary", icon=":material/task_alt:",
                      on_click=act(complete, entry.token, session_id, allow=rems.REMS_TEAM, about=form.patient))
    elif form.status == "complete":
        left.button("Mark submitted", type="primary", icon=":material/send:",
                    on_click=act(submit, session_id, allow=rems.REMS_TEAM, about=form.patient))
    right.button("Print view (one page)", icon=":material/print:", on_click=show_print, args=(session_id,))


def print_view(form: rems.Form) -> None:
    """The form as one plain table: the browser's Print (Ctrl+P) puts it on one sheet."""
    st.button("Back to the form", icon=":material/edit:", on_click=show_print, args=(None,))
    st.caption("Print this page with your browser (Ctrl+P or Cmd+P): the form fits on one sheet.")
    values = form.values
    rows = []
    for section in rule.SECTIONS:
        rows.append(f'<tr><th colspan="2">{escape(section)}</th></tr>')
        rows += [f'<tr><td>{escape(f.label)}</td><td class="value">{escape(rule.shown(f.key, values.get(f.key)))}'
                 "</td></tr>" for f in rule.FIELDS if f.section == section]
    footer = escape(status_line(form).replace("**", ""))
    st.html(PRINT_CSS + '<div class="rems-print"><h2>SPRAVATO REMS Patient Monitoring Form (outpatient)</h2>'
            f"<p>{escape(form.patient)}, chart number {escape(form.chart_number)}, session {form.session_number}. "
            f"{footer}</p><table>{''.join(rows)}</table></div>")


chosen = selection.chosen(CHOSEN)
if chosen is None:
    due_list()
else:
    form_view(chosen)
