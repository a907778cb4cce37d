"""A patient's story in date order, and the trends drawn above it, each read in one query.

The chart used to be separate tables per record kind; clinicians read a course of
treatment as a sequence (screened, approved, dosed, integrated, checked in), so the
events of every kind are merged here in SQL and the page only draws them.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from core import db
from core.access import STAFF, User, require
from core.rules import validate
from core.rules.followup import heavy_day
from core.rules.settings import Settings

NO_PATIENT = "That patient was not found"
BASELINE = "Baseline, before the first session"
COURSE = "From the first session on"
"""The two parts of the use log on the chart. Outcomes follow a patient from the first dosing session (day 0); the
days logged before it (up to `baseline_log_days` before the screening, as Timeline Followback asks) are the
baseline the course is read against, and no outcome figure counts them."""
EVENTS_SQL = """
    SELECT screened_at AS occurred_at, 'screening' AS kind, id AS ref_id, decision AS detail FROM screenings
    WHERE patient_id = $p
    UNION ALL
    SELECT signed_at, 'approval', screening_id, decision FROM approvals WHERE patient_id = $p
    UNION ALL
    SELECT started_at, 'dosing', id, status FROM dosing_sessions WHERE patient_id = $p
    UNION ALL
    SELECT visit_at, 'checkin', id, NULL FROM checkins WHERE patient_id = $p
    UNION ALL
    SELECT met_at, 'integration', session_id, NULL FROM integration_notes WHERE patient_id = $p
    UNION ALL
    SELECT raised_at, 'safety', id,
           CASE WHEN EXISTS (SELECT 1 FROM safety_assessments a WHERE a.followup_id = f.id) THEN 'recorded' ELSE 'open'
           END
    FROM safety_followups f WHERE patient_id = $p
    UNION ALL
    SELECT scheduled_for, 'booking', session_id, NULL FROM therapy_bookings WHERE patient_id = $p
    ORDER BY occurred_at DESC,
             list_position(['screening', 'safety', 'approval', 'dosing', 'booking', 'integration', 'checkin'],
                           kind) DESC,
             ref_id DESC
"""


def events(con, user: User, patient_id: int) -> pd.DataFrame:
    """Every dated record of the patient, newest first: occurred_at, kind, ref_id (the record's id), detail.

    Records of one moment follow the course of care (screened, approved, dosed, booked, integrated)."""
    require(con, user, STAFF)
    patient_id = validate.record_id(patient_id, NO_PATIENT)
    with db.read(con) as cur:
        return cur.execute(EVENTS_SQL, {"p": patient_id}).df()


def checkin_scores(con, user: User, checkin_id: int) -> pd.DataFrame:
    """The scales of one check-in: instrument, total, band, flags."""
    require(con, user, STAFF)
    checkin_id = validate.record_id(checkin_id, "That check-in was not found")
    with db.read(con) as cur:
        return cur.execute(
            """SELECT a.instrument, a.total, a.band, a.flags, c.note, u.display_name AS recorded_by
               FROM checkin_assessments l JOIN assessments a ON a.id = l.assessment_id
               JOIN checkins c ON c.id = l.checkin_id LEFT JOIN users u ON u.id = c.recorded_by
               WHERE l.checkin_id = ? ORDER BY a.id""", [checkin_id]).df()


def craving(con, user: User, patient_id: int) -> pd.DataFrame:
    """Craving (0-100) over time: before and after each dosing session, and at each check-in."""
    require(con, user, STAFF)
    patient_id = validate.record_id(patient_id, NO_PATIENT)
    with db.read(con) as cur:
        return cur.execute(
            """SELECT started_at AS occurred_at, 'Before the dose' AS moment, craving_before AS craving
               FROM dosing_sessions WHERE patient_id = $p AND craving_before IS NOT NULL
               UNION ALL
               SELECT coalesce(discharged_at, started_at), 'After the session', craving_after FROM dosing_sessions
               WHERE patient_id = $p AND craving_after IS NOT NULL
               UNION ALL
               SELECT taken_at, 'At a check-in', total FROM assessments
               WHERE patient_id = $p AND instrument = 'craving_vas'
               ORDER BY occurred_at""", {"p": patient_id}).df()


def use_days(con, user: User, patient_id: int, since: date | None = None,
             settings: Settings | None = None) -> pd.DataFrame:
    """The use log: day, used, drinks, other_used, heavy (a heavy drinking day, for alcohol) and period (BASELINE
    before the first dosing session, COURSE from its day on), one row per recorded day, so that abstinent runs show
    as unbroken stretches on the chart."""
    require(con, user, STAFF)
    patient_id = validate.record_id(patient_id, NO_PATIENT)
    since = validate.optional_date(since, "Since")
    with db.read(con) as cur:
        found = cur.execute(
            """SELECT sex, primary_substance,
                      (SELECT CAST(min(started_at) AS DATE) FROM dosing_sessions WHERE patient_id = p.id)
               FROM patients p WHERE id = ?""", [patient_id]).fetchone()
        if found is None:
            raise ValueError(NO_PATIENT)
        sex, substance, day0 = found
        days = cur.execute(
            """SELECT day, used, drinks, other_used FROM substance_use_days
               WHERE patient_id = ? AND day >= coalesce(?, DATE '1900-01-01') ORDER BY day""",
            [patient_id, since]).df()
    days["heavy"] = [substance == "alcohol" and heavy_day(bool(u), None if pd.isna(d) else float(d), sex, settings)
                     for u, d in zip(days["used"], days["drinks"], strict=True)]
    days["period"] = [COURSE if day0 is not None and d.date() >= day0 else BASELINE for d in days["day"]]
    return days


def first_session_day(con, user: User, patient_id: int) -> date | None:
    """The day of the patient's first dosing session (day 0 of the outcomes), where the baseline ends; None before
    any."""
    require(con, user, STAFF)
    patient_id = validate.record_id(patient_id, NO_PATIENT)
    with db.read(con) as cur:
        (day0,) = cur.execute("SELECT CAST(min(started_at) AS DATE) FROM dosing_sessions WHERE patient_id = ?",
                              [patient_id]).fetchone()
    return day0


def use_by_period(days: pd.DataFrame) -> pd.DataFrame:
    """The baseline beside the course in numbers (period, days, use_days, heavy_days), from `use_days`' rows: a
    reader compares the two without counting ticks."""
    counted = [{"period": period, "days": len(rows), "use_days": int(rows["used"].sum()),
                "heavy_days": int(rows["heavy"].sum())}
               for period in (BASELINE, COURSE) if not (rows := days[days["period"] == period]).empty]
    return pd.DataFrame(counted, columns=["period", "days", "use_days", "heavy_days"])
