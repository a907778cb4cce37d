"""The process-wide DuckDB connection (DuckDB allows one writer process per file)."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from core import backup, clinic_settings, db, demo
from core.rules import settings

DEMO_PATIENTS = 300
DEMO_SEED = 2026


@dataclass(frozen=True)
class Clinic:
    con: object
    demo: bool


@st.cache_resource(show_spinner="Opening the clinic database…")
def clinic() -> Clinic:
    """Open and migrate the database once per process; seed a new one with the demo cohort unless CLINIC_DEMO=0;
    start the daily backup."""
    path = db.configured_path()
    is_new = not path.exists()
    con = db.open_store(path)
    if is_new and db.demo_wanted():
        demo.build(con, DEMO_PATIENTS, DEMO_SEED)
    settings.use(clinic_settings.load(con))
    if backup.wanted():
        backup.start_daily(con, backup.folder_for(path))
    return Clinic(con, db.is_demo(con))
