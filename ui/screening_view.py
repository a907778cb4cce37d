"""One screening shown in full, in plain words: the prescriber's decision view and the chart show the same."""

from __future__ import annotations

from datetime import date

import streamlit as st

from core import safety
from core.rules.eligibility import same_day_signals
from core.screening_record import ScreeningRecord
from ui import labels, widgets
from ui.widgets import plain, show_reasons, show_status


def age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def show(record: ScreeningRecord) -> None:
    i, d = record.intake, record.details
    years = age(record.date_of_birth, record.screened_at.date())
    st.markdown(f"Chart number {plain(record.chart_number)} · age {years}"
                f" at screening (born {record.date_of_birth:%d %b %Y}) · {labels.SEX[record.sex]} · screened "
                f"{labels.when(record.screened_at)} by {plain(record.screened_by or '-')}")
    if record.urgent:
        widgets.urgent_banner(same_day_signals((i.get("phq9") or [None] * 9)[8], i.get("cssrs") or {}))
        _safety(record)
    show_status(record.result)

    left, right = st.columns(2, gap="large")
    with left:
        st.markdown("**Substance use**")
        _facts([
            ("Primary substance", labels.SUBSTANCE[d["primary_substance"]]),
            ("Also uses", labels.listed(d.get("other_substances") or [], labels.OTHER_SUBSTANCE)),
            *([("Other substances not in the list", plain(d["other_substances_text"]))]
              if d.get("other_substances_text") else []),
            ("Days used in the last 30", str(d["days_used_30"])),
            ("Last use", labels.when(d["last_use"])),
            ("Years of use", str(d["years_of_use"])),
            ("Prior treatments", plain(", ".join(i["prior_treatments"])) or "None"),
        ])
        st.markdown("**Logistics and goal**")
        if d.get("escort_available") is False:
            st.warning("**No one can drive the patient home.** This does not change the screening result, but the "
                       "pre-dose check refuses a session without an escort.", icon=":material/directions_car:")
        _facts([
            ("Someone can drive the patient home", labels.yes_no(d.get("escort_available"))),
            ("Willing to take part in integration therapy", labels.yes_no(i["integration_therapy_willing"])),
            ("Patient's goal", plain(d.get("goal") or "") or "Not recorded"),
        ])
    with right:
        st.markdown("**Scores**")
        _facts([(labels.instrument(s.instrument), score_text(s)) for s in record.scores])
        if any(s.instrument == "auditc" and "positive" in s.flags for s in record.scores):
            st.info("AUDIT-C is positive (hazardous drinking): information for the prescriber; it does not change "
                    "the screening result.", icon=":material/info:")
        st.markdown("**Medical**")
        _facts([
            ("Blood pressure at screening", f"{i['systolic_bp']}/{i['diastolic_bp']} mmHg"),
            ("Conditions", labels.listed(i["conditions"], labels.CONDITION)),
            *([("Other conditions", plain(i["conditions_other"]))] if i.get("conditions_other") else []),
            ("Current medications", labels.listed(i["medications"], labels.MEDICATION)),
            *([("Other current medications", plain(i["medications_other"]))] if i.get("medications_other") else []),
            ("Pregnancy", "Not asked (male)" if record.sex == "male" else labels.PREGNANCY[i["pregnant"]]),
        ])
    st.markdown("**Every reason, with its source**")
    show_reasons(record.reasons)
    if record.comments:
        st.markdown("**Comments added after the decision**")
        _facts([(f"{plain(c.author)}, {labels.when(c.added_at)}", plain(c.text)) for c in record.comments])
    st.caption(f"Rules version {record.rules_version}")


def score_text(s) -> str:
    """A score in words: '12 (moderate, thoughts of death or self-harm (item 9))'; the C-SSRS by its risk."""
    if s.instrument == "cssrs":
        return labels.CSSRS_RISK[s.band]
    flags = [labels.FLAG.get(f, f) for f in s.flags] or [labels.NO_FLAG.get(s.instrument)]
    extra = ", ".join(filter(None, [s.band, *flags]))
    return f"{s.total}{f' ({extra})' if extra else ''}"


def _safety(record: ScreeningRecord) -> None:
    f = record.safety
    if f is None or f.assessed_at is None:
        st.error("The same-day safety assessment is **not recorded yet** (it is recorded on Home). Approval waits "
                 "for it; declining does not.", icon=":material/pending:")
    else:
        st.success(f"Same-day safety assessment recorded by {plain(f.assessed_by)} at {labels.when(f.assessed_at)}: "
                   f"{safety.OUTCOME_LABELS[f.outcome]}. Note: {plain(f.note)}")


def _facts(rows: list[tuple[str, str]]) -> None:
    st.markdown("\n".join(f"- **{name}:** {value}" for name, value in rows))
