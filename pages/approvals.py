"""Approval queue (prescribers): everything a screening found, in one view, and a signed approve or decline."""

from datetime import date

import streamlit as st

from core import approvals, safety
from core.rules.eligibility import same_day_signals
from ui import forms, labels, selection, widgets
from ui.actions import Stale, act, done, show
from ui.frame import frame
from ui.screening_state import PATIENTS
from ui.store import clinic
from ui.widgets import plain, show_reasons, show_status

PRESCRIBERS = frozenset({"prescriber"})
user = frame("Approval queue", allow=PRESCRIBERS)
con = clinic().con

PICK, DECISION = "approval_pick", "approval"
CHOICES = {"approved": "Approve", "declined": "Decline"}


def sign(con, user, token: str, screening_id: int, pick_token: str) -> None:
    """Sign the screening this form was drawn for, and only if it is still the one chosen on screen.

    The password is dropped whatever happens: a new form instance keeps the choice and
    note for another try, never the password.
    """
    form = forms.current(DECISION, token, screening_id)
    if forms.current(PICK, pick_token).get("screening") != screening_id:
        raise Stale("The screening on screen changed before the signature; nothing was signed. Check and sign again.")
    choice, note, password = form.get("choice"), form.get("note") or "", form.get("password") or ""
    forms.restart(DECISION, screening_id, {"choice": choice, "note": note})
    patient = approvals.decide(con, user, screening_id, choice, note, password)
    forms.close(DECISION)
    forms.close(PICK)
    done("page", f"Signed: {choice} for {plain(patient)}.")


def age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def facts(rows: list[tuple[str, str]]) -> None:
    st.markdown("\n".join(f"- **{name}:** {value}" for name, value in rows))


pending = approvals.queue(con, user)
if pending.empty:
    show("approval")
    st.info("No screenings are waiting for approval.")
    st.stop()

urgent_count = int(pending["urgent"].sum())
st.caption(f"{len(pending)} waiting: same-day safety assessments first, then oldest first.")
if urgent_count:
    st.error(f"**{urgent_count} waiting with a same-day safety assessment needed**: listed first, marked "
             ":material/emergency:.", icon=":material/emergency:")
st.dataframe(
    pending.assign(
        safety=pending["safety"].map(labels.SAFETY_STATUS),
        decision=pending["decision"].map(labels.DECISION),
    )[["safety", "patient", "chart_number", "decision", "screened_at"]],
    hide_index=True,
    column_config={
        "safety": "Safety", "patient": "Patient", "chart_number": "Chart number", "decision": "Screening result",
        "screened_at": st.column_config.DatetimeColumn("Screened", format="D MMM YYYY, HH:mm"),
    },
)

rows = {int(row.screening_id): row for row in pending.itertuples()}


def describe(screening_id: int) -> str:
    r = rows[screening_id]
    flag = "🚨 " if r.urgent else ""
    return f"{flag}{r.patient} · {r.chart_number} · screened {r.screened_at:%d %b %Y}"


pick = forms.opened(PICK)
chosen = st.selectbox("Screening to decide", list(rows), index=None, key=pick.key("screening"),
                      placeholder="Choose a screening", format_func=describe)
if chosen is None:
    show("approval")  # a refusal for a screening that has just left the queue (decided by someone else)
    st.stop()

view = approvals.for_decision(con, user, chosen)
i, d = view.intake, view.details
st.header(plain(view.patient))
st.markdown(f"Chart number {plain(view.chart_number)} · age {age(view.date_of_birth, view.screened_at.date())} "
            f"(born {view.date_of_birth:%d %b %Y}) · {labels.SEX[view.sex]} · screened {labels.when(view.screened_at)}"
            f" by {plain(view.screened_by or '-')}")
if st.button("Open the patient's chart", icon=":material/folder_shared:"):
    selection.choose(PATIENTS, view.patient_id)
    st.switch_page("pages/patients.py")

signals = same_day_signals((i.get("phq9") or [None] * 9)[8], i.get("cssrs") or {})
if view.urgent:
    widgets.urgent_banner(signals)
    if view.safety is None or view.safety.assessed_at is None:
        st.error("The same-day safety assessment is **not recorded yet**. Approval waits for it (it is recorded "
                 "on Home); declining does not.", icon=":material/pending:")
    else:
        st.success(f"Same-day safety assessment recorded by {plain(view.safety.assessed_by)} at "
                   f"{labels.when(view.safety.assessed_at)}: {safety.OUTCOME_LABELS[view.safety.outcome]}. "
                   f"Note: {plain(view.safety.note)}")
show_status(view.result)

left, right = st.columns(2, gap="large")
with left:
    st.subheader("Substance use")
    facts([
        ("Primary substance", labels.SUBSTANCE[d["primary_substance"]]),
        ("Also uses", labels.listed(d.get("other_substances") or [], labels.SUBSTANCE)),
        ("Days used in the last 30", str(d["days_used_30"])),
        ("Last use", labels.when(d["last_use"])),
        ("Years of use", str(d["years_of_use"])),
        ("Prior treatments", plain(", ".join(i["prior_treatments"])) or "None"),
    ])
    st.subheader("Logistics and goal")
    if d.get("escort_available") is False:
        st.warning("**No one can drive the patient home.** This does not change the screening result, but the "
                   "pre-dose check refuses a session without an escort.", icon=":material/directions_car:")
    facts([
        ("Someone can drive the patient home", labels.yes_no(d.get("escort_available"))),
        ("Willing to take part in integration therapy", labels.yes_no(i["integration_therapy_willing"])),
        ("Patient's goal", plain(d.get("goal") or "") or "Not recorded"),
    ])
with right:
    st.subheader("Scores")
    for s in view.scores:
        if s.instrument == "cssrs":
            st.markdown(f"- **{labels.instrument(s.instrument)}:** {labels.CSSRS_RISK[s.band]}")
            continue
        extra = ", ".join(filter(None, [s.band, *(labels.FLAG.get(f, f) for f in s.flags)]))
        st.markdown(f"- **{labels.instrument(s.instrument)}:** {s.total}{f' ({extra})' if extra else ''}")
    if any(s.instrument == "auditc" and "positive" in s.flags for s in view.scores):
        st.info("AUDIT-C is positive (hazardous drinking): information for the prescriber; it does not change the "
                "screening result.", icon=":material/info:")
    st.subheader("Medical")
    facts([
        ("Blood pressure at screening", f"{i['systolic_bp']}/{i['diastolic_bp']} mmHg"),
        ("Conditions", labels.listed(i["conditions"], labels.CONDITION)),
        ("Current medications", labels.listed(i["medications"], labels.MEDICATION)),
        ("Pregnancy", labels.PREGNANCY[i["pregnant"]]),
    ])

st.subheader("Every reason, with its source")
show_reasons(view.reasons)
st.caption(f"Rules version {view.rules_version}")

form = forms.instance(DECISION, subject=chosen)
with st.form(form.key("form"), enter_to_submit=True):
    st.radio("Your decision", list(CHOICES), format_func=CHOICES.get, index=None, horizontal=True,
             key=form.key("choice"))
    st.text_area("Note (required)", key=form.key("note"))
    st.text_input("Your password (electronic signature)", type="password", key=form.key("password"),
                  autocomplete="current-password")
    show("approval")
    st.form_submit_button("Sign decision", type="primary", icon=":material/signature:",
                          on_click=act(sign, form.token, chosen, pick.token, allow=PRESCRIBERS, slot="approval",
                                       about=f"Signature for {view.patient}"))
