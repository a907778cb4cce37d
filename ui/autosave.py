"""Keeping a form as a server-side draft at each change, so a reload or another computer loses nothing."""

from __future__ import annotations

import streamlit as st

from core import db, drafts
from ui.forms import FormInstance


def keep(con, user, form: FormInstance, kind: str, content: dict, patient_id: int) -> None:
    """Save `content` as this form's draft unless it is what was kept last.

    A conflict is the same user saving on another screen at this instant: the next change saves again. A draft
    gone meanwhile (discarded or used elsewhere) is said on screen, and the next change starts a new one."""
    if form.meta.get("kept") == content:
        return
    try:
        form.meta["draft_id"] = drafts.save(con, user, kind, content, draft_id=form.meta.get("draft_id"),
                                            patient_id=patient_id)
    except db.Conflict:
        return
    except ValueError as gone:
        form.meta.pop("draft_id", None)
        st.warning(str(gone))
        return
    form.meta["kept"] = content
