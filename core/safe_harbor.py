"""The Safe Harbor export: one row per cohort patient, pooled with other clinics' files by the network.

A file that leaves the clinic must hold nothing that points to a patient, yet let the
network work out the same section-4 figures the clinic shows. So each row carries the
patient's own outcome values (already worked out by core.outcomes under this clinic's
settings) and nothing finer than a year: the year of the first session, intervals in whole
weeks from it, ages in bands. Small groups of quasi-identifiers are generalised or withheld
by core.rules.safe_harbor, and the file says how many rows were withheld and why.

No patient code is written. Safe Harbor (164.514(c)) allows a re-identification code only
when it is not derived from the patient's information, and the pooled figures need none:
one row is one patient. Rows are sorted by their values, never by date, so the order of
the rows does not give away who started first.

The file is Parquet with its schema version, clinic pseudonym, rules version, as-of year and
withheld counts in the key/value metadata, written with pyarrow (an in-memory file for the
download; no SQL is built from values) and read back by DuckDB's parquet_kv_metadata().
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, replace
from datetime import date

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core import clinic_settings, db
from core.access import STAFF, User, require
from core.outcomes import Cohort, _per_patient, scope
from core.rules import safe_harbor
from core.rules.settings import Settings

SCHEMA_VERSION = "clinic-outcomes-safe-harbor/2"
"""Named in every file's metadata; the network refuses a file of any other version. Version 1 (no metadata) gave a
shifted first-session date and a keyed patient code, and is not read."""

COLUMNS = pa.schema([
    ("clinic", pa.string()), ("sex", pa.string()), ("age_band", pa.string()), ("primary_substance", pa.string()),
    ("first_route", pa.string()), ("first_year", pa.string()), ("follow_up_weeks", pa.int32()),
    ("sessions", pa.int32()), ("in_course", pa.bool_()), ("days_abstinent_share", pa.float64()),
    ("heavy_days_share", pa.float64()), ("abstinent_after_course", pa.bool_()), ("phq9_baseline", pa.int32()),
    ("phq9_follow_up", pa.int32()), ("pcl5_baseline", pa.int32()), ("pcl5_follow_up", pa.int32()),
    ("craving_change", pa.float64()), ("craving_sessions", pa.int32()), ("adverse_events", pa.int32()),
    ("severe_htn_sessions", pa.int32()), ("relapse_week", pa.int32()), ("relapsed", pa.bool_()),
])
"""The export's schema, the same every time and described column by column in the README ("Safe Harbor export")."""

SORT_ORDER = [name for name in COLUMNS.names if name != "clinic"]


@dataclass(frozen=True)
class Export:
    rows: pd.DataFrame
    """The file's rows, in the file's column order."""
    metadata: dict[str, str]
    """The file's key/value metadata, exactly as written."""

    def parquet(self) -> bytes:
        table = pa.Table.from_pandas(self.rows, schema=COLUMNS, preserve_index=False)
        table = table.replace_schema_metadata(self.metadata)
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        return buffer.getvalue()

    def csv(self) -> bytes:
        """The same rows for a spreadsheet; only the Parquet file carries the metadata the network needs."""
        return self.rows.to_csv(index=False).encode()

    @property
    def withheld(self) -> int:
        return int(self.metadata["rows_withheld"])


def pseudonym(s: Settings) -> str:
    """The clinic's pseudonym, or a refusal that says who sets it and where."""
    if not s.clinic_pseudonym:
        raise ValueError(f"{Settings.label('clinic_pseudonym')}: not set yet. An administrator sets it under "
                         "Administration, Clinic settings, before the first export; it tells pooled files apart "
                         "without naming the clinic.")
    return s.clinic_pseudonym


def export(con, user: User, cohort: Cohort, as_of: date | None = None, settings: Settings | None = None) -> Export:
    """Staff only, and audited: the cohort's Safe Harbor rows with their metadata.

    The settings are this database's own unless given: the pseudonym names this clinic, whatever the process has
    loaded."""
    user = require(con, user, STAFF)
    s = settings or clinic_settings.load(con)
    clinic = pseudonym(s)
    chosen = scope(user, cohort, as_of, s)  # staff: the cohort and date as chosen, each checked
    cohort, as_of = chosen.cohort, chosen.as_of
    if cohort.end > as_of:  # nothing after the export day exists yet, and no record of the export may say otherwise
        cohort = replace(cohort, end=as_of, start=min(cohort.start, as_of))
    patients = _per_patient(con, cohort, as_of, s)
    first = pd.to_datetime(patients["first_session"])
    rows = pd.DataFrame({
        "clinic": clinic,
        **{column: patients[column].astype("string") for column in ("sex", "age_band", "primary_substance",
                                                                     "first_route")},
        "first_year": first.dt.year.astype("string"),
        "follow_up_weeks": [safe_harbor.whole_weeks((as_of - day.date()).days) for day in first],
        **{column: patients[column] for column in (
            "sessions", "in_course", "days_abstinent_share", "heavy_days_share", "abstinent_after_course",
            "phq9_baseline", "phq9_follow_up", "pcl5_baseline", "pcl5_follow_up", "craving_change",
            "craving_sessions", "adverse_events", "severe_htn_sessions")},
        "relapse_week": [safe_harbor.whole_weeks(day) for day in patients["relapse_day"]],
        "relapsed": patients["relapsed"],
    }, columns=COLUMNS.names)
    keys = list(safe_harbor.QUASI_IDENTIFIERS)
    done = safe_harbor.generalise(list(rows[keys].itertuples(index=False, name=None)), s.small_cell_min)
    rows[keys] = pd.DataFrame([row or (None,) * len(keys) for row in done.rows], columns=keys, index=rows.index,
                              dtype="string")
    rows = rows[pd.Series([row is not None for row in done.rows], index=rows.index, dtype=bool)]
    rows = rows.sort_values(SORT_ORDER, na_position="first").reset_index(drop=True)
    metadata = {
        "schema_version": SCHEMA_VERSION, "clinic_pseudonym": clinic, "rules_version": s.rules_version,
        "as_of_year": str(as_of.year), "rows": str(len(rows)), "rows_withheld": str(sum(done.withheld.values())),
        "withheld_reasons": json.dumps({safe_harbor.WITHHELD_REASONS[code]: n for code, n in done.withheld.items()}),
        "generalised": json.dumps(done.steps), "minimum_group": str(s.small_cell_min),
        "smallest_group": str(safe_harbor.smallest_group(list(rows[keys].itertuples(index=False, name=None))) or 0),
    }
    with db.transaction(con) as cur:
        db.audit(cur, user.id, "outcomes_exported", "outcomes", None,
                 {"rows": len(rows), "withheld": metadata["rows_withheld"], "schema_version": SCHEMA_VERSION,
                  "clinic_pseudonym": clinic, "start": cohort.start.isoformat(), "end": cohort.end.isoformat(),
                  "as_of": as_of.isoformat(), "substances": sorted(cohort.substances),
                  "routes": sorted(cohort.routes), "sexes": sorted(cohort.sexes),
                  "age_bands": sorted(cohort.age_bands)})
    return Export(rows, metadata)
