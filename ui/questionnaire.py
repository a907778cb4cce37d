"""Render any instrument from its definition in core.rules.instruments; no questionnaire is written by hand."""

from __future__ import annotations

import streamlit as st

from core.rules.instruments import CSSRS_QUESTION, CSSRS_SKIPPED_WHEN_Q2_NO, Instrument

YES_NO = (True, False)
AS_DROPDOWNS = frozenset({"auditc"})
"""Instruments whose answers are too long to sit on one line beside each other at 1440 px (AUDIT-C's five
frequencies): each item is one dropdown instead of a row of choices that wraps. Their points follow the answer
("1 or 2 (0 points)"), so a drink count is never read as the score."""


def item_key(prefix: str, instrument: Instrument, item_key: str) -> str:
    return f"{prefix}{instrument.id}_{item_key}"


def scale(instrument: Instrument, prefix: str) -> list[int | None]:
    """One radio per item (nothing pre-selected, so an unanswered item stays visibly unanswered)."""
    st.markdown(f"**{instrument.name}** · {instrument.prompt}")
    answers = []
    for number, item in enumerate(instrument.items, 1):
        key = item_key(prefix, instrument, item.key)
        if item.anchors:
            # A number box, not a slider: a slider always holds a value, so an untouched one would record a 0. No
            # limits in the box: the browser kept a number past them on screen, red, and sent nothing, so the save
            # said "not answered"; the number reaches core, which names the range.
            answers.append(st.number_input(f"{item.text} ({item.low} = {item.anchors[0]}, {item.high} = "
                                           f"{item.anchors[1]})", step=1, value=None, placeholder="Not answered",
                                           key=key, persist_state="session"))
            continue
        if instrument.id in AS_DROPDOWNS:
            labels = {o.value: f"{o.label} ({o.value} {'point' if o.value == 1 else 'points'})"
                      for o in item.options}
            answers.append(st.selectbox(f"{number}. {item.text}", list(labels), format_func=labels.get, index=None,
                                        placeholder="Choose an answer", key=key, persist_state="session"))
        else:
            labels = {o.value: f"{o.value} · {o.label}" for o in item.options}
            answers.append(st.radio(f"{number}. {item.text}", list(labels), format_func=labels.get, index=None,
                                    horizontal=True, key=key, persist_state="session"))
    return answers


def cssrs(instrument: Instrument, prefix: str) -> dict[str, bool]:
    """The C-SSRS screener with its skip logic: Q3-Q5 only after a yes to Q2, '3 months' only after a lifetime yes."""
    st.markdown(f"**{instrument.name}** · {instrument.prompt}")
    items = {item.key: item for item in instrument.items}
    answers: dict[str, bool] = {}

    def ask(key: str) -> None:
        number = CSSRS_QUESTION[key].removeprefix("question ")
        label = f"{number}. {items[key].text}" if number.isdigit() else items[key].text  # 6's follow-up
        value = st.radio(label, YES_NO, format_func=lambda v: "Yes" if v else "No", index=None,
                         horizontal=True, key=item_key(prefix, instrument, key), persist_state="session")
        if value is not None:
            answers[key] = value

    ask("q1")
    ask("q2")
    if answers.get("q2"):
        for key in CSSRS_SKIPPED_WHEN_Q2_NO:
            ask(key)
    ask("behavior_lifetime")
    if answers.get("behavior_lifetime"):
        ask("behavior_3mo")
    return answers
