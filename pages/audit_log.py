"""Audit log (administrators): every sign-in, change and decision, newest first, a page at a time, filtered by
account, patient, action and date; one entry in full on demand; the filtered entries as an audited CSV file."""

from datetime import date, datetime, timedelta

import streamlit as st

from core import audit_log, users
from ui import audit_words, labels, selection
from ui.actions import act, done, show
from ui.frame import frame
from ui.store import clinic
from ui.widgets import plain

user = frame("Audit log", allow={"admin"})
con = clinic().con
ADMINS = frozenset({"admin"})
CURSORS = "audit~cursors"
"""The `before_id` of each page shown so far, so 'Newer entries' can step back."""
PATIENT = "audit~patient"
"""The patient the log is narrowed to, by record number, once the chart number typed was found."""
EXPORT = "audit~export"
"""The CSV file made by the last export, for the download button; dropped when a filter changes."""
TABLE = "audit"
"""The table's name for `ui.selection`: the entry chosen to be shown in full, by id."""


def restart() -> None:
    """A filter changed: back to the newest entries, and no file or full entry made for the old filters."""
    st.session_state[CURSORS] = [None]
    st.session_state.pop(EXPORT, None)
    selection.clear(TABLE)


def narrow_to_patient(con, user) -> None:
    """Look up the chart number typed (an audited read) and show only the entries about that patient."""
    restart()
    typed = (st.session_state.get("audit_chart_number") or "").strip()
    st.session_state.pop(PATIENT, None)
    if not typed:
        return
    found = audit_log.patient_by_chart_number(con, user, typed)
    if found is None:
        raise ValueError(f"No patient has the chart number {typed}: the log shows every entry.")
    st.session_state[PATIENT] = found


def older(cursor: int) -> None:
    st.session_state[CURSORS].append(cursor)
    selection.clear(TABLE)


def newer() -> None:
    st.session_state[CURSORS].pop()
    selection.clear(TABLE)


def prepare_export(con, user, chosen: audit_log.Filters) -> None:
    """Export the entries matching the filters as drawn (core audits the export), then keep the file for the
    download button: nothing can be downloaded that the audit trail does not record."""
    rows = audit_log.export(con, user, chosen.action, chosen.patient_id, account_id=chosen.account_id,
                            start=chosen.start, end=chosen.end, autosaves=chosen.autosaves)
    st.session_state[EXPORT] = {"csv": audit_words.csv(rows), "made": datetime.now()}
    done(EXPORT, f"CSV export ready: {len(rows)} entries. The export is recorded in the audit log.")


def show_in_full(entry_id: int) -> None:
    """Every field of one entry, its details one to a line and none shortened."""
    full = audit_log.entry(con, user, entry_id)
    if full is None:
        return
    with st.container(border=True):
        st.subheader(f"Entry {entry_id} in full")
        who = (f"{full['actor_name']} ({full['actor']})" if full["actor"]
               else "the app itself (no one was signed in)")
        what = audit_words.record(full["entity"], full["account"])
        lines = [f"When: {full['occurred_at']:%d %b %Y, %H:%M:%S}", f"Who: {who}",
                 f"What: {audit_words.action(full['action'])}",
                 f"Record: {what}" + (f", record number {full['entity_id']}" if full["entity_id"] is not None
                                      and not isinstance(full["account"], str) and what else "")]
        if isinstance(full["chart_number"], str):
            lines.append(f"Patient: chart number {full['chart_number']}")
        lines += audit_words.details(full["detail"])
        st.markdown("  \n".join(plain(line) for line in lines))
        st.button("Close this entry", on_click=selection.clear, args=(TABLE,))


accounts = users.accounts(con, user)
names = {int(r.id): f"{r.display_name} ({r.username})" for r in accounts.itertuples()}
codes = sorted(audit_log.actions(con, user), key=lambda c: audit_words.action(c).lower())
action_col, account_col, patient_col = st.columns(3)
choice = action_col.selectbox("Action", [None, *codes], format_func=lambda c: "All actions" if c is None
                              else audit_words.action(c), key="audit_action", on_change=restart)
account_id = account_col.selectbox("Account (what it did, and what was done to it)", [None, *sorted(names,
                                   key=lambda i: names[i].lower())],
                                   format_func=lambda i: "All accounts" if i is None else names[i],
                                   key="audit_account", on_change=restart)
patient_col.text_input("Only entries about the patient with chart number", key="audit_chart_number",
                       placeholder="e.g. DEMO-000010; empty for every entry",
                       on_change=act(narrow_to_patient, allow=ADMINS, slot="audit_patient"))
show("audit_patient")
start_col, end_col, autosave_col = st.columns(3, vertical_alignment="bottom")
# The dates appear filled, once asked for: an empty date box leaves its parts without a value for screen readers
# (axe: aria-required-attr, critical), and every entry is shown until dates are chosen.
start = end = None
if start_col.checkbox("Only entries between two dates", key="audit_dated", on_change=restart):
    start = start_col.date_input("From", value=date.today() - timedelta(days=30), format="DD.MM.YYYY",
                                 key="audit_from", on_change=restart)
    end = end_col.date_input("To", value=date.today(), format="DD.MM.YYYY", key="audit_to", on_change=restart)
autosaves = autosave_col.checkbox("Show autosaves of forms being typed", key="audit_autosaves", on_change=restart,
                                  help=f"'{labels.AUDIT_ACTION['draft_updated']}' entries: one every few seconds "
                                       "while someone types, so they are left out unless asked for.")
patient_id = st.session_state.get(PATIENT)
if patient_id is not None:
    typed = (st.session_state.get("audit_chart_number") or "").strip()
    st.caption(f"Entries about the patient with chart number {plain(typed)}: their record opened, changed or shown "
               "in a list, and who did it (the Who column).")
try:
    chosen = audit_log.filters(choice, account_id, patient_id, start, end, autosaves)
except ValueError as e:
    st.error(plain(str(e)), icon=":material/block:")
    st.stop()
st.session_state.setdefault(CURSORS, [None])
page = audit_log.page(con, user, st.session_state[CURSORS][-1], chosen.action, chosen.patient_id,
                      account_id=chosen.account_id, start=chosen.start, end=chosen.end, autosaves=chosen.autosaves)
if page.rows.empty:
    st.info("No entry matches these filters.")
else:
    selection.table(TABLE, audit_words.table(page.rows), "Entry", {
        "Entry": st.column_config.NumberColumn(format="%d"),
        "When": st.column_config.DatetimeColumn(format="DD MMM YYYY, HH:mm:ss"),
        "Who": "Who", "What": "What", "Record": "Record", "Patient (chart number)": "Patient (chart number)",
        "Details": "Details",
    }, width="stretch")
    st.caption("Click an entry to see it in full below, each detail on a line of its own.")
left, middle, right = st.columns([1, 2, 1], vertical_alignment="center")
left.button("Newer entries", icon=":material/chevron_left:", on_click=newer,
            disabled=len(st.session_state[CURSORS]) == 1)
reach = "" if page.older else "; this page reaches the first entry"
middle.caption(f"{len(page.rows)} entries, newest first{reach}.")
right.button("Older entries", icon=":material/chevron_right:", on_click=older, args=(page.older,),
             disabled=page.older is None)
picked = selection.chosen(TABLE)
if picked is not None:
    show_in_full(picked)

st.subheader("Export")
st.caption(f"Every entry matching the filters above (not only this page), as a CSV file in words, at most "
           f"{audit_log.EXPORT_MAX:,} entries. It holds chart numbers: keep it as you keep patient records. The "
           "export itself is recorded in the audit log, with the filters and the number of entries.")
st.button("Export these entries as CSV", icon=":material/download:",
          on_click=act(prepare_export, chosen, allow=ADMINS, slot=EXPORT))
show(EXPORT)
ready = st.session_state.get(EXPORT)
if ready:
    st.download_button("Download the CSV file", ready["csv"], f"audit-log-{ready['made']:%Y%m%d-%H%M}.csv",
                       mime="text/csv", on_click="ignore")
