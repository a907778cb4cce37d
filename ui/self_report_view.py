"""The staff side of self-report: issue a request on the chart (link, QR code, kiosk code), list and cancel
requests, review what a patient sent (accept into the record or reject with a reason), and Home's list.

The raw link and kiosk code exist only in the one run after issuing, held in this session to be shown (and printed
or read out) once; the store has only their hashes, so a lost link is cancelled and issued again, never looked up.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pandas as pd
import segno
import streamlit as st

from core import self_report
from core.rules import settings
from core.rules.self_report import ASKABLE
from ui import forms, labels, reads
from ui.actions import act, done, show
from ui.chart_link import chart_button
from ui.widgets import plain

ISSUE = "self_report_issue"
REVIEW = "self_report_review"
SHOWN = "self_report~issued"
"""(patient id, Issued) of the request just issued, to show its link and codes once."""
SLOT = "self_report"
PAGE_PATH = "self_report"
"""The patient page's address under the app's own (pages/self_report.py)."""
DECISION = {"accepted": "Accept into the record", "rejected": "Reject (stays out of the record)"}


def link_for(token: str) -> str:
    """The patient's link: the app's address as this browser reached it, with the patient page's path. Behind the
    clinic's reverse proxy that is the address the clinic exposes; a relative link where the address is unknown."""
    here = st.context.url
    if not isinstance(here, str) or not here.startswith(("http://", "https://")):
        return f"{PAGE_PATH}?t={token}"
    parts = urlsplit(here)
    base = parts.path.rsplit("/", 1)[0]
    return f"{parts.scheme}://{parts.netloc}{base}/{PAGE_PATH}?t={token}"


def qr_image(link: str) -> str:
    """The link as a QR code, an image with its words for a screen reader (st.image gives no alternative text)."""
    uri = segno.make(link, error="m").svg_data_uri(scale=5, border=4)
    return f'<img src="{uri}" alt="QR code of the link for the patient" width="220">'


def _issue(con, user, token: str, patient_id: int) -> None:
    form = forms.current(ISSUE, token, patient_id)
    asks = [i for i in ASKABLE if form.get(i)]
    issued = self_report.issue(con, user, patient_id, asks=asks, use_log=bool(form.get("use_log")),
                               valid_days=form.get("days"))
    forms.close(ISSUE)
    st.session_state[SHOWN] = (patient_id, issued)
    done(SLOT, "Self-report request issued. Give the patient the link, the QR code or the kiosk code now: they "
               "stay on this screen until you click Done, and cannot be shown again after that.")


def _cancel(con, user, report_id: int) -> None:
    self_report.cancel(con, user, report_id)
    done(SLOT, "Request cancelled: its link and kiosk code no longer work.")


def _review(con, user, token: str, report_id: int) -> None:
    form = forms.current(REVIEW, token, report_id)
    decision = form.get("decision")
    if decision == "accepted":
        self_report.accept(con, user, report_id, form.get("reason") or "")
        message = "Self-report accepted: its scales and use days are in the record."
    elif decision == "rejected":
        self_report.reject(con, user, report_id, form.get("reason") or "")
        message = "Self-report rejected: it stays out of the record, with your reason."
    else:
        raise ValueError("Decision: choose accept or reject")
    forms.close(REVIEW)
    done(SLOT, message)


def kiosk_address() -> str:
    """Where the clinic's tablet opens the patient page: the link without its token."""
    return link_for("").removesuffix("?t=")


def chart_section(con, user, patient: dict) -> None:
    """On the patient's chart: what was sent and waits for review, the requests, and a new request."""
    st.subheader("Self-report between visits")
    show(SLOT)
    just_issued = st.session_state.get(SHOWN)
    if just_issued and just_issued[0] == patient["id"]:
        _show_issued(just_issued[1])
    for item in self_report.pending(con, user, patient["id"]):
        _pending(item, patient, user)
    requests = self_report.for_patient(con, user, patient["id"])
    if requests.empty:
        st.caption("No self-report requests yet.")
    else:
        _requests(requests, user)
    if user.role in self_report.ISSUERS and patient["status"] == "approved":
        _issue_form(patient)


def _show_issued(issued: self_report.Issued) -> None:
    link = link_for(issued.token)
    with st.container(border=True):
        left, right = st.columns([1, 2])
        with left:
            st.html(qr_image(link))
            st.caption("Scan with a phone camera")
        right.markdown(f"**Link for the patient** (valid until {labels.when(issued.expires_at)}; the patient can "
                       "open it again until they send their answers):")
        right.code(link, language=None, wrap_lines=True)
        right.markdown(f"**Kiosk code:** <span style='font-size:1.6rem; letter-spacing:0.2em; font-family:monospace'>"
                       f"{issued.kiosk_code}</span>  \n(the patient types it with their date of birth on the clinic's "
                       f"tablet, at {kiosk_address()})",
                       unsafe_allow_html=True)  # the code is drawn from KIOSK_ALPHABET: letters and digits only
        right.button("Done: hide the link and code", on_click=st.session_state.pop, args=(SHOWN, None))


def _issue_form(patient: dict) -> None:
    form = forms.instance(ISSUE, subject=patient["id"])
    s = settings.current()
    low, high = settings.Settings.within("self_report_valid_days")
    with st.expander("Ask the patient to answer from home or at the kiosk"), st.form(form.key("form")):
        st.markdown("What to ask")
        for instrument_id in ASKABLE:
            if instrument_id == "pacs" and patient["primary_substance"] != "alcohol":
                continue
            st.checkbox(labels.instrument(instrument_id), value=instrument_id != "pacs", key=form.key(instrument_id))
        st.checkbox("Use of the main substance, day by day since the last recorded day", value=True,
                    key=form.key("use_log"))
        st.number_input("Valid for (days)", min_value=int(low), max_value=int(high), value=s.self_report_valid_days,
                        step=1, key=form.key("days"))
        if not s.crisis_phone:
            st.warning("The clinic's own number for the crisis message is not set, so patients are given 988 only: "
                       "ask the administrator to set it (Administration, clinic settings).", icon=":material/call:")
        st.form_submit_button("Issue link and kiosk code", type="primary",
                              on_click=act(_issue, form.token, patient["id"], allow=self_report.ISSUERS, slot=SLOT,
                                           about=f"{patient['last_name']}, {patient['first_name']}"))


def _requests(requests: pd.DataFrame, user) -> None:
    st.table(pd.DataFrame({
        "Issued": requests["issued_at"].map(labels.when), "By": requests["issued_by"].fillna("-"),
        "Asks": [_asks(r.asks, r.use_log) for r in requests.itertuples()],
        "Valid until": requests["expires_at"].map(labels.when),
        "State": requests["state"].map(labels.SELF_REPORT_STATE),
        "Reviewed": [f"{r.reviewed_by} · {labels.when(r.reviewed_at)}" + (f": {r.reason}" if isinstance(
            r.reason, str) else "") if isinstance(r.reviewed_by, str) else "" for r in requests.itertuples()],
    }), hide_index=True)
    if user.role not in self_report.ISSUERS:
        return
    for r in requests[requests["state"] == "open"].itertuples():
        st.button(f"Cancel the request issued {labels.when(r.issued_at)}", key=f"self_report_cancel_{r.report_id}",
                  on_click=act(_cancel, int(r.report_id), allow=self_report.ISSUERS, slot=SLOT))


def _asks(asks: str, use_log: bool) -> str:
    names = [labels.instrument(i) for i in json.loads(asks)] + (["use log"] if use_log else [])
    return ", ".join(names)


def _pending(item: self_report.Pending, patient: dict, user) -> None:
    with st.container(border=True):
        st.markdown(f":orange[:material/inbox:] **Sent by the patient {labels.when(item.sent_at)}, waiting for "
                    "review.** Nothing of it is in the record or the outcomes until accepted.")
        if item.crisis:
            st.error("These answers raised a same-day safety follow-up (see Home).", icon=":material/emergency:")
        if item.scores:
            st.table(pd.DataFrame({
                "Scale": [labels.instrument(i) for i, _ in item.scores],
                "Score": [f"{r.total}" + (f" · {r.band}" if r.band else "")
                          + (f" · {labels.listed(r.flags, labels.FLAG)}" if r.flags else "")
                          for _, r in item.scores],
            }), hide_index=True)
        if item.days:
            used = [d for d in item.days if d.used]
            st.markdown(f"Use log: {labels.days(len(item.days))} from {item.days[0].day:%d %b %Y} to "
                        f"{item.days[-1].day:%d %b %Y}; used on "
                        + (", ".join(f"{d.day:%d %b}" + (f" ({d.drinks:g} drinks)" if d.drinks else "")
                                     for d in used) or "none of them") + ".")
        if user.role not in self_report.ISSUERS:
            return
        form = forms.instance(REVIEW, subject=item.report_id)
        with st.form(form.key("form")):
            st.radio("Decision", list(DECISION), format_func=DECISION.get, index=None, key=form.key("decision"))
            st.text_input("Reason (required to reject; to accept, only when a use day already recorded differs)",
                          key=form.key("reason"))
            show(f"{SLOT}~{item.report_id}")  # a refusal beside the button, not above the report
            st.form_submit_button("Record the review", type="primary",
                                  on_click=act(_review, form.token, item.report_id, allow=self_report.ISSUERS,
                                               slot=f"{SLOT}~{item.report_id}",
                                               about=f"Self-report of {patient['last_name']}, {patient['first_name']}"))


def home_section(con, user) -> None:
    """Home: self-reports waiting for review first, then open requests, then the last two weeks' others."""
    st.subheader("Self-reports from patients")
    recent = self_report.recent(con, user)
    if recent.empty:
        st.caption("No self-report requests in the last two weeks.")
        return
    reads.listed(con, user, "Home: self-reports from patients", recent["patient_id"].unique())
    st.table(pd.DataFrame({
        "Patient": recent["patient"], "Chart number": recent["chart_number"],
        "State": recent["state"].map(labels.SELF_REPORT_STATE), "Issued": recent["issued_at"].map(labels.when),
        "Valid until": recent["expires_at"].map(labels.when),
    }), hide_index=True)
    waiting = recent[recent["state"] == "sent"]
    for r in waiting.drop_duplicates("patient_id").itertuples():
        st.markdown(f"**{plain(r.patient)}**: self-report waiting for review.")
        chart_button(int(r.patient_id), ("app.py", "Home"), key=f"self_report_chart_{r.patient_id}")
