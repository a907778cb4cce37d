"""Small display helpers shared by pages."""

from __future__ import annotations

import re
from datetime import time

import streamlit as st

from core.rules.eligibility import SAME_DAY_SIGNALS
from core.rules.reasons import Reason

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")
SEVERITY_LABELS = {"hard_stop": "Hard stop", "review": "Needs review", "support": "Supports treatment"}
STATUS_LABELS = {"eligible": "Eligible", "needs_review": "Needs review", "ineligible": "Ineligible"}


def plain(text: str) -> str:
    """Free text as typed, escaped so Markdown shows it literally rather than formatting it."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def show_reasons(reasons: list[Reason]) -> None:
    if not reasons:
        st.caption("No rule fired.")
        return
    for severity, label in SEVERITY_LABELS.items():
        listed = [r for r in reasons if r.severity == severity]
        if listed:
            st.markdown(f"**{label}**")
            for r in listed:
                st.markdown(f"- {plain(r.message)}  \n  :gray[Source: {plain(r.source)}]")


def reason_list(reasons: list[Reason]) -> None:
    """Each reason a rule gave, with its source: the pre-dose check, the dose, discharge readiness."""
    for r in reasons:
        st.markdown(f"- {plain(r.message)}  \n  :gray[Source: {plain(r.source)}]")


def show_status(status: str) -> None:
    """The screening's result (the rules' outcome), never the prescriber's choice."""
    label = STATUS_LABELS[status]
    {"eligible": st.success, "needs_review": st.warning, "ineligible": st.error}[status](
        f"Screening result: **{label}**")


def urgent_banner(signals: tuple[str, ...] = (), patient: str | None = None, note: str = "") -> None:
    """One wording for the same-day safety flag everywhere: what set it, for whom, and what to do."""
    causes = "; ".join(SAME_DAY_SIGNALS[s] for s in signals)
    for_whom = f" for {plain(patient)}" if patient else ""
    st.error(f"**Same-day safety assessment needed**{for_whom}{f' ({causes})' if causes else ''}. {note}"
             "Do not let the patient leave without it.", icon=":material/emergency:")


def sticky(key: str):
    """A container that stays at the top of the window while the page scrolls (for a warning that must stay seen)."""
    st.html(f'<style>[data-testid="stLayoutWrapper"]:has(> .st-key-{key}) '
            "{position: sticky; top: 3.75rem; z-index: 990; background: white;}</style>")
    return st.container(key=key)


CLINIC_TIMES = [time(hour, minute) for hour in range(7, 21) for minute in (0, 15, 30, 45)]


def time_choice(label: str, key: str):
    """A clinic time of day, chosen from quarter hours with nothing chosen at first. st.time_input with no value
    leaves its hour and minute parts without a value for screen readers (axe: aria-required-attr). A time already
    set for the key (one offered from a record, such as a discharge at 12:05, or kept in a draft) is among the
    choices, so it shows as chosen rather than being dropped."""
    given = st.session_state.get(key)
    options = sorted({*CLINIC_TIMES, given}) if isinstance(given, time) else CLINIC_TIMES
    return st.selectbox(label, options, format_func=lambda t: f"{t:%H:%M}", index=None,
                        placeholder="Choose a time", key=key)
