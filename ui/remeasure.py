"""The question a blood pressure with an implausible pulse pressure asks (issue 25.5): re-measure, then confirm.

Shared by the screening, the pre-dose check and the readings in a session, so the words and the confirmation are
the same wherever a blood pressure is typed. The rule is core's (`vitals.pulse_pressure_problem`); core refuses the
reading until `bp_remeasured` is ticked.
"""

from __future__ import annotations

import streamlit as st

from core.rules import vitals

CONFIRM = "Re-measured: this blood pressure is right"


def ask(form, systolic, diastolic, **widget) -> bool:
    """Draw the warning and the confirmation when the typed pressure asks for it; whether it was drawn."""
    try:
        systolic, diastolic = vitals.blood_pressure(systolic, diastolic)
    except ValueError:
        return False  # missing or implausible: named by its own refusal
    problem = vitals.pulse_pressure_problem(systolic, diastolic)
    if problem is None:
        return False
    st.warning(problem, icon=":material/monitor_heart:")
    st.checkbox(CONFIRM, key=form.key("bp_remeasured"), **widget)
    return True
