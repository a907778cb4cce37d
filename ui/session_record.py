"""A dosing session as read on the dosing page and in the chart: one view, so both show the same record."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.dosing_sessions import SessionRecord
from ui import charts, labels
from ui.widgets import plain


def summary(record: SessionRecord) -> None:
    """Dose planned and, once recorded at a stop or discharge, the dose actually given; gate result and any
    override, intention, stop, craving, discharge, booking and signature."""
    planned = f"{record.dose_mg:g} mg ({record.mg_per_kg:.2f} mg/kg at {record.weight_kg:g} kg)"
    dose = (f"{planned} planned" if record.given_mg is None else
            f"**{record.given_mg:g} mg given** ({record.given_mg_per_kg:.2f} mg/kg) of {planned} planned")
    st.markdown(f"Session {record.session_number} · {labels.ROUTE[record.route]} · {dose}"
                f" · dosed {labels.when(record.started_at)}"
                + (f" · {plain(record.chair)}" if record.chair else "")
                + f" · **{labels.SESSION_STATUS[record.status]}**")
    if record.gate_status:
        gate = labels.GATE_STATUS[record.gate_status].split(":")[0]
        reasons = "; ".join(r["message"] for r in record.gate_reasons)
        st.markdown(f"Pre-dose check: **{gate}**" + (f" ({plain(reasons)})" if reasons else ""))
    if record.intention:
        st.markdown(f"Intention: {plain(record.intention)}")
    if record.override_reason:
        st.info(f"Prescriber's override by {plain(record.override_by or '-')}: {plain(record.override_reason)}")
    if record.stop_reason:
        st.warning(f"Dosing stopped early: {labels.STOP_REASON[record.stop_reason]}"
                   + (f" ({plain(record.stop_note)})" if record.stop_note else "") + ".")
    craving = f"Craving before {record.craving_before if record.craving_before is not None else '-'}"
    if record.ended_at is not None:
        craving += f", after {record.craving_after if record.craving_after is not None else '-'}"
        st.markdown(f"Discharged {labels.when(record.ended_at)} with {plain(record.left_with or '-')} · "
                    f"no-driving instruction {'given' if record.no_driving_told else 'not recorded'}")
    st.markdown(craving + " (0-100)")
    if record.booked_for is not None:
        st.markdown(f"Integration-therapy session booked for {labels.when(record.booked_for)}")


def readings_and_events(record: SessionRecord, heading=st.subheader) -> None:
    r = record.readings
    heading("Vital signs")
    if r.empty:
        st.caption("None recorded.")
    else:
        st.altair_chart(charts.session_vitals(r), width="stretch")
        st.table(pd.DataFrame({
            "Minute": [("before dose" if pd.isna(m) else str(int(m))) for m in r["minutes_after_dose"]],
            "Blood pressure": [f"{s}/{d}" for s, d in zip(r["systolic_bp"], r["diastolic_bp"], strict=True)],
            "Heart rate": r["heart_rate"].astype("string").fillna("-"),
            "SpO2 (%)": r["spo2"].astype("string").fillna("-"),
            "Breaths/min": r["respiratory_rate"].astype("string").fillna("-"),
            "Sedation (MOAA/S)": r["moaa_s"].astype("string").fillna("-"),
            "Dissociation": r["dissociation"].map(lambda v: labels.DISSOCIATION.get(v, "-") if isinstance(v, str)
                                                  else "-"),
        }), hide_index=True)
    heading("Adverse events")
    e = record.events
    if e.empty:
        st.caption("None recorded.")
    else:
        st.table(pd.DataFrame({
            "When": e["recorded_at"].map(labels.when), "Event": e["code"].map(labels.ADVERSE_EVENT),
            "Severity": e["severity"].map(lambda v: labels.SEVERITY.get(v, "-") if isinstance(v, str) else "-"),
            "Action taken": e["action_taken"].fillna("-"), "Description": e["description"].fillna("-"),
        }), hide_index=True)


def signature_and_addenda(record: SessionRecord) -> None:
    if record.signed_at is None:
        st.caption("Not signed yet." if record.status != "in_progress" else "In progress.")
        return
    st.success(f"Signed by {plain(record.signed_by)} on {labels.when(record.signed_at)}. Read-only.")
    addenda_list(record.addenda)


def addenda_list(addenda) -> None:
    """A signed record's addenda (added_at, added_by, reason, text), oldest first: the same look for every kind."""
    for a in addenda.itertuples():
        st.info(f"Addendum · {labels.when(a.added_at)} · {plain(a.added_by)} · reason: {plain(a.reason)}\n\n"
                f"{plain(a.text)}")
