"""Network (staff): many clinics' Safe Harbor export files pooled, per clinic and together, beside the references."""

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from core import network
from core.access import STAFF
from core.outcomes import FIGURES
from core.rules.references import NOT_A_TRIAL_ARM
from core.rules.settings import current
from ui import outcomes_view as view
from ui.frame import frame

user = frame("Network", allow=STAFF)

UPLOADS = "network_files"


def pooled(uploaded) -> network.Network:
    """The uploaded files written to a private temporary folder under numbered names (an uploaded name never
    becomes a path on the server), checked all together, then pooled; refusals name the files as uploaded."""
    with tempfile.TemporaryDirectory(prefix="network-") as folder:
        paths = []
        for number, upload in enumerate(uploaded):
            path = Path(folder) / f"{number:04d}.parquet"
            path.write_bytes(upload.getvalue())
            paths.append(path)
        return network.pool(network.check(paths, [upload.name for upload in uploaded]))


def cell(name: str, f) -> str:
    """A figure with its n, as the Outcomes page reads it; a suppressed one says only "fewer than 11"."""
    if name == "patients" or f.suppressed:
        return view.value_text(name, f)
    return f"{view.value_text(name, f)} ({view.n_text(name, f)})"


st.caption("Pool the de-identified export files of several clinics (Outcomes, \"Prepare the export\", the Parquet "
           "file): each clinic's figures and the network's, with groups of fewer than "
           f"{current().small_cell_min} patients shown as \"fewer than {current().small_cell_min}\". Every file is "
           "checked first; one bad file refuses them all. The files stay in this browser session only.")
uploaded = st.file_uploader("Export files (.parquet), one per clinic", type=["parquet"], accept_multiple_files=True,
                            key=UPLOADS)
if uploaded:
    try:
        result = pooled(uploaded)
    except ValueError as refused:
        st.error(str(refused), icon=":material/block:")
    else:
        st.header("Clinics")
        # Static tables: a few rows each, read rather than sorted, and two interactive grids on one page repeat
        # their cells' ids (axe-core: duplicate-id-active).
        st.table(pd.DataFrame([{
            "Clinic": f.clinic, "File": f.name, "Patients in the file": f.rows,
            "Withheld for small groups": f.withheld, "As of": f.as_of_year, "Rules version": f.rules_version,
        } for f in result.clinics]), hide_index=True)
        shown = result.shown(current())
        columns = [*sorted(c for c in shown if c != network.POOLED), network.POOLED]
        st.header("Figures")
        st.warning(NOT_A_TRIAL_ARM, icon=":material/info:")
        st.table(pd.DataFrame([{"Figure": view.LABELS[name][0], **{c: cell(name, shown[c][name])
                                                                  for c in columns}} for name in FIGURES]),
                 hide_index=True)
        st.caption("Relapse is counted by whole week here: the files give no date finer than the year.")
        st.header("Published reference points")
        view.references_for(FIGURES)
