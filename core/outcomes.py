"""What the clinic achieves, defined exactly as in clinical-rules.md section 4 and aggregated in SQL.

A clinic's figures mean something only when they mean what the trials' figures mean, so
every figure follows the written definition to the letter: a treatment-start cohort (by
the day of the first counted dosing session), a follow-up window for the use log, per-
patient shares averaged over patients, and dropout counted as relapse. Every aggregate
is computed in DuckDB; pandas only shapes a result for a chart. The de-identified
`viewer` gets the same functions with small cells suppressed, and nothing here returns
a name, chart number, date of birth or exact date to that role.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from core import db
from core.access import EVERYONE, STAFF, User, require
from core.rules import disclosure, validate
from core.rules.settings import Settings, resolve
from core.schema import ROUTES, SUBSTANCES

AGE_BANDS = ("18-25", "26-35", "36-45", "46-55", "56-64", "65+")
SEXES = ("female", "male")
FIGURES = ("patients", "sessions", "completed_course", "left_after_first", "pda", "heavy_drinking_days",
           "end_of_course_abstinence", "phq9_response", "phq9_remission", "pcl5_meaningful_change",
           "craving_change_per_session", "ae_per_session", "severe_htn_per_session")
COUNTS = ("patients", "sessions")
"""Figures that always have a value (0 for an empty cohort); every other figure with n = 0 has none."""
ROUNDED_COUNTS = ("patients", "sessions", "course_n", "completed", "left_first", "pda_n", "hdd_n", "eoc_n",
                  "eoc_abstinent", "phq9_n", "phq9_responders", "phq9_remitters", "pcl5_n", "pcl5_changed",
                  "craving_n", "events", "severe_sessions")
"""Every count behind the viewer's figures, rounded before a share is worked out (core.rules.disclosure)."""


@dataclass(frozen=True)
class Cohort:
    """The patients whose first counted dosing session started on a day in [start, end]; an empty set means all."""

    start: date
    end: date
    substances: frozenset[str] = field(default_factory=frozenset)
    routes: frozenset[str] = field(default_factory=frozenset)
    sexes: frozenset[str] = field(default_factory=frozenset)
    age_bands: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        start = validate.calendar_date(self.start, "From (first session)")
        end = validate.calendar_date(self.end, "To (first session)")
        if end < start:
            raise ValueError(f"First session to: the date range ends ({end:%d %b %Y}) before it starts "
                             f"({start:%d %b %Y}); choose an end on or after the start")
        object.__setattr__(self, "start", start)  # a typed date or a datetime, held as the day it names
        object.__setattr__(self, "end", end)
        for values, allowed, name in ((self.substances, SUBSTANCES, "Primary substance"),
                                      (self.routes, ROUTES, "Route"), (self.sexes, SEXES, "Sex"),
                                      (self.age_bands, AGE_BANDS, "Age band")):
            if not isinstance(values, (set, frozenset, list, tuple)) or not all(isinstance(v, str) for v in values):
                raise ValueError(f"{name}: choose from the list")
            unknown = set(values) - set(allowed)
            if unknown:
                raise ValueError(f"{name}: not a choice: {', '.join(sorted(map(str, unknown)))}")


@dataclass(frozen=True)
class Figure:
    value: float | None
    n: int | None
    suppressed: bool = False
    """True when the viewer may not see this cell (fewer than the small-cell threshold behind it)."""


COHORT_SQL = """
counted AS (
    SELECT id, patient_id, started_at, route, craving_before, craving_after
    FROM dosing_sessions
    WHERE status IN ('in_progress', 'discharged', 'stopped') AND CAST(started_at AS DATE) <= $as_of
),
firsts AS (
    SELECT patient_id, min(started_at) AS first_at, arg_min(route, (started_at, id)) AS first_route
    FROM counted GROUP BY patient_id
),
aged AS (
    SELECT f.patient_id, f.first_at, CAST(f.first_at AS DATE) AS day0, f.first_route, p.sex, p.primary_substance,
           year(f.first_at) - year(p.date_of_birth)
             - CASE WHEN month(f.first_at) < month(p.date_of_birth)
                      OR (month(f.first_at) = month(p.date_of_birth) AND day(f.first_at) < day(p.date_of_birth))
                    THEN 1 ELSE 0 END AS age
    FROM firsts f JOIN patients p ON p.id = f.patient_id
    WHERE CAST(f.first_at AS DATE) BETWEEN $start AND $end
      AND (len($substances::VARCHAR[]) = 0 OR list_contains($substances::VARCHAR[], p.primary_substance))
      AND (len($routes::VARCHAR[]) = 0 OR list_contains($routes::VARCHAR[], f.first_route))
      AND (len($sexes::VARCHAR[]) = 0 OR list_contains($sexes::VARCHAR[], p.sex))
),
members AS (
    SELECT * FROM (
        SELECT *, CASE WHEN age <= 25 THEN '18-25' WHEN age <= 35 THEN '26-35' WHEN age <= 45 THEN '36-45'
                       WHEN age <= 55 THEN '46-55' WHEN age <= 64 THEN '56-64' ELSE '65+' END AS age_band
        FROM aged)
    WHERE len($age_bands::VARCHAR[]) = 0 OR list_contains($age_bands::VARCHAR[], age_band)
),
sessions_of AS (
    SELECT c.*, row_number() OVER (PARTITION BY c.patient_id ORDER BY c.started_at, c.id) AS number
    FROM counted c JOIN members m USING (patient_id)
),
per_patient AS (
    SELECT m.patient_id, count(s.id) AS sessions, CAST(max(s.started_at) AS DATE) AS last_day
    FROM members m JOIN sessions_of s USING (patient_id) GROUP BY m.patient_id
),
log_days AS (
    SELECT u.patient_id, u.used, u.drinks, m.sex, m.primary_substance, m.day0, CAST(u.day - m.day0 AS INTEGER) AS idx,
           u.used AND (u.drinks IS NULL OR u.drinks > CASE WHEN m.sex = 'female' THEN $hdd_female ELSE $hdd_male END)
             AS heavy
    FROM substance_use_days u JOIN members m USING (patient_id)
    WHERE u.day BETWEEN m.day0 AND m.day0 + ($window::INTEGER - 1) AND u.day <= $as_of
),
log_months AS (
    SELECT patient_id, primary_substance, idx // 30 + 1 AS month, count(*) AS days,
           count(*) FILTER (WHERE used) AS used_days, count(*) FILTER (WHERE heavy) AS heavy_days,
           min(idx) FILTER (WHERE used) AS first_use, max(idx) AS last_idx
    FROM log_days GROUP BY patient_id, primary_substance, month
),
scores AS (
    SELECT m.patient_id, a.instrument,
           arg_max(a.total, (a.taken_at, a.id)) FILTER (WHERE a.taken_at <= m.first_at) AS baseline,
           arg_max(a.total, (a.taken_at, a.id)) FILTER (WHERE a.taken_at > m.first_at
                                                         AND CAST(a.taken_at AS DATE) <= $as_of) AS follow_up
    FROM members m JOIN assessments a ON a.patient_id = m.patient_id AND a.instrument IN ('phq9', 'pcl5')
    WHERE a.total IS NOT NULL
    GROUP BY m.patient_id, a.instrument
),
relapse AS (
    SELECT m.patient_id, m.day0, min(l.first_use) AS first_use, coalesce(max(l.last_idx), 0) AS last_idx
    FROM members m LEFT JOIN log_months l USING (patient_id)
    GROUP BY m.patient_id, m.day0
),
times AS (
    SELECT patient_id,
           CASE WHEN first_use IS NOT NULL THEN first_use
                WHEN stopped THEN last_idx + 1
                ELSE last_idx END AS t,
           first_use IS NOT NULL OR stopped AS event
    FROM (SELECT *, ($as_of - (day0 + last_idx)) > $stopped_after::INTEGER AND last_idx < $window::INTEGER - 1
                    AS stopped
          FROM relapse)
)
"""

PER_PATIENT_SHARES_SQL = """
pda AS (SELECT patient_id, (sum(days) - sum(used_days)) / sum(days) AS share FROM log_months GROUP BY patient_id),
hdd AS (
    SELECT patient_id, sum(heavy_days) / sum(days) AS share FROM log_months
    WHERE primary_substance = 'alcohol' GROUP BY patient_id
),
after_course AS (
    SELECT p.patient_id, count(u.day) AS days, bool_or(u.used) AS any_use
    FROM per_patient p
    LEFT JOIN substance_use_days u ON u.patient_id = p.patient_id
         AND u.day BETWEEN p.last_day + 1 AND p.last_day + $end_days::INTEGER
    WHERE p.last_day + $end_days::INTEGER <= $as_of
    GROUP BY p.patient_id
)
"""
"""Each patient's share of days abstinent and of heavy days, and the days logged after the course: the figures
average them and the per-patient rows (drill-down, export) show them, from the one definition."""

COURSE_SQL = """
course AS (
    SELECT p.sessions FROM members m JOIN per_patient p USING (patient_id)
    WHERE m.day0 <= $as_of - $course_min_days::INTEGER
)"""
"""The patients followed long enough to have had a course: completion, leaving after one session, retention."""
ADVERSE_SQL = """
adverse AS (
    SELECT e.session_id, e.code FROM adverse_events e JOIN sessions_of s ON s.id = e.session_id
    WHERE CAST(e.recorded_at AS DATE) <= $as_of
)"""

FIGURES_SELECT = """
    (SELECT count(*) FROM members) AS patients,
    (SELECT count(*) FROM sessions_of) AS sessions,
    (SELECT count(*) FROM course) AS course_n,
    (SELECT count(*) FILTER (WHERE sessions >= $planned) FROM course) AS completed,
    (SELECT count(*) FILTER (WHERE sessions = 1) FROM course) AS left_first,
    (SELECT avg(share) FROM pda) AS pda, (SELECT count(*) FROM pda) AS pda_n,
    (SELECT avg(share) FROM hdd) AS hdd, (SELECT count(*) FROM hdd) AS hdd_n,
    (SELECT count(*) FILTER (WHERE days = $end_days::INTEGER) FROM after_course) AS eoc_n,
    (SELECT count(*) FILTER (WHERE days = $end_days::INTEGER AND NOT any_use) FROM after_course) AS eoc_abstinent,
    (SELECT count(*) FROM scores WHERE instrument = 'phq9' AND baseline >= $phq9_min AND follow_up IS NOT NULL)
        AS phq9_n,
    (SELECT count(*) FROM scores WHERE instrument = 'phq9' AND baseline >= $phq9_min AND follow_up IS NOT NULL
        AND follow_up <= baseline * $phq9_drop) AS phq9_responders,
    (SELECT count(*) FROM scores WHERE instrument = 'phq9' AND baseline >= $phq9_min AND follow_up IS NOT NULL
        AND follow_up < $phq9_remission) AS phq9_remitters,
    (SELECT count(*) FROM scores WHERE instrument = 'pcl5' AND baseline IS NOT NULL AND follow_up IS NOT NULL)
        AS pcl5_n,
    (SELECT count(*) FROM scores WHERE instrument = 'pcl5' AND baseline IS NOT NULL AND follow_up IS NOT NULL
        AND follow_up <= baseline - $pcl5_drop) AS pcl5_changed,
    (SELECT avg(craving_after - craving_before) FROM sessions_of
        WHERE craving_before IS NOT NULL AND craving_after IS NOT NULL) AS craving,
    (SELECT count(*) FROM sessions_of WHERE craving_before IS NOT NULL AND craving_after IS NOT NULL) AS craving_n,
    (SELECT count(*) FROM adverse) AS events,
    (SELECT count(DISTINCT session_id) FROM adverse WHERE code = 'severe_hypertension') AS severe_sessions"""
FIGURES_CTES = (COHORT_SQL, PER_PATIENT_SHARES_SQL, COURSE_SQL, ADVERSE_SQL)
FIGURES_SQL = "WITH " + ",".join(FIGURES_CTES) + "\nSELECT" + FIGURES_SELECT


@dataclass(frozen=True)
class ChartRows:
    """One chart's rows from the cohort: the CTEs it adds to the cohort's, its SELECT and the order of its rows. A
    chart's own statement (`sql`) and the page's one pass over the cohort (OVERVIEW_SQL) are made from it."""

    ctes: tuple[str, ...]
    select: str
    order: str

    @property
    def sql(self) -> str:
        return "WITH " + ",".join((COHORT_SQL, *self.ctes)) + "\n" + self.select + "\nORDER BY " + self.order

    def listed(self, name: str) -> str:
        """The rows as one list column of the overview, in their order."""
        return f"(SELECT list(x ORDER BY {self.order}) FROM ({self.select}) x) AS {name}"


CURVE = ChartRows(
    ("""
event_days AS (SELECT t AS day, count(*) AS events FROM times WHERE event GROUP BY t)""", """
curve AS (
    SELECT e.day, (SELECT count(*) FROM times WHERE t >= e.day) AS at_risk, e.events FROM event_days e
)"""),
    "SELECT day, at_risk, events, product(1 - events / at_risk) OVER (ORDER BY day) AS survival FROM curve",
    "day")
CURVE_SQL = CURVE.sql


def _params(cohort: Cohort, as_of: date, s: Settings) -> dict:
    cohort = _cohort(cohort)
    return {
        "start": cohort.start, "end": cohort.end, "as_of": as_of,
        "substances": sorted(cohort.substances), "routes": sorted(cohort.routes), "sexes": sorted(cohort.sexes),
        "age_bands": sorted(cohort.age_bands), "window": s.follow_up_days, "hdd_female": s.hdd_drinks_female,
        "hdd_male": s.hdd_drinks_male, "stopped_after": s.log_stopped_days,
    }


def _as_of(as_of) -> date:
    """The cut-off day chosen on screen, today when none was."""
    return date.today() if as_of is None else validate.calendar_date(as_of, "Figures as of")


def _cohort(cohort) -> Cohort:
    if not isinstance(cohort, Cohort):
        raise ValueError("Cohort: choose the dates and groups again")
    return cohort


def _figure_params(cohort: Cohort, as_of: date, s: Settings) -> dict:
    return {**_params(cohort, as_of, s), "course_min_days": s.course_min_days,
            "planned": s.planned_course_sessions, "end_days": s.end_of_course_days, "phq9_min": s.phq9_baseline_min,
            "phq9_drop": s.phq9_response_drop, "phq9_remission": s.phq9_remission_below,
            "pcl5_drop": s.pcl5_meaningful_drop}


@dataclass(frozen=True)
class Scope:
    """What one caller's figures are computed over: the staff's cohort as chosen, or the viewer's coarsened one."""

    cohort: Cohort
    as_of: date
    round_to: int | None
    """Counts behind shares are rounded to this base for the viewer (core.rules.disclosure); None for staff."""


def scope(user: User, cohort: Cohort, as_of: date | None, s: Settings) -> Scope:
    """The viewer's figures stand on whole quarters and a month-end cut-off, with every count rounded
    (core.rules.disclosure), whatever the page sends; staff get exactly what they chose."""
    cohort, as_of = _cohort(cohort), _as_of(as_of)
    if user.sees_identified_data:
        return Scope(cohort, as_of, None)
    coarse = dataclasses.replace(cohort, start=disclosure.quarter_start(cohort.start),
                                 end=disclosure.quarter_end(cohort.end))
    return Scope(coarse, disclosure.cut_off(as_of), s.small_cell_min)


def figures(con, user: User, cohort: Cohort, as_of: date | None = None,
            settings: Settings | None = None) -> dict[str, Figure]:
    """Every figure of section 4 for the cohort, each with its n. For the viewer: small cells suppressed, and the
    counts behind each share rounded, so that no two screens reveal a small group by subtraction."""
    user = require(con, user, EVERYONE)
    s = resolve(settings)
    at = scope(user, cohort, as_of, s)
    with db.read(con) as cur:
        row = cur.execute(FIGURES_SQL, _figure_params(at.cohort, at.as_of, s)).fetchone()
        names = [d[0] for d in cur.description]
    return _figures_shown(dict(zip(names, row, strict=True)), at, s)


def _figures_shown(r: dict, at: Scope, s: Settings) -> dict[str, Figure]:
    exact = figures_from(r)
    if at.round_to is None:
        return exact
    shown = figures_from(r | {k: disclosure.rounded(int(r[k]), at.round_to) for k in ROUNDED_COUNTS})
    small = 0 < r["patients"] < s.small_cell_min
    return {name: Figure(None, None, True) if small or 0 < exact[name].n < s.small_cell_min else f
            for name, f in shown.items()}


def figures_from(r: dict) -> dict[str, Figure]:
    """The figures from the SQL's counts and means (a share is a count over its n): the clinic's, and the network's
    from pooled export files (core/network.py), so both read one definition."""
    raw = {
        "patients": (r["patients"], r["patients"]),
        "sessions": (r["sessions"], r["patients"]),
        "completed_course": (_share(r["completed"], r["course_n"]), r["course_n"]),
        "left_after_first": (_share(r["left_first"], r["course_n"]), r["course_n"]),
        "pda": (r["pda"], r["pda_n"]),
        "heavy_drinking_days": (r["hdd"], r["hdd_n"]),
        "end_of_course_abstinence": (_share(r["eoc_abstinent"], r["eoc_n"]), r["eoc_n"]),
        "phq9_response": (_share(r["phq9_responders"], r["phq9_n"]), r["phq9_n"]),
        "phq9_remission": (_share(r["phq9_remitters"], r["phq9_n"]), r["phq9_n"]),
        "pcl5_meaningful_change": (_share(r["pcl5_changed"], r["pcl5_n"]), r["pcl5_n"]),
        "craving_change_per_session": (r["craving"], r["craving_n"]),
        "ae_per_session": (_share(r["events"], r["sessions"]), r["sessions"]),
        "severe_htn_per_session": (_share(r["severe_sessions"], r["sessions"]), r["sessions"]),
    }
    result = {}
    for name, (value, n) in raw.items():
        value = None if value is None else float(value)
        if name not in COUNTS and not n:
            value = None
        result[name] = Figure(value, int(n))
    return result


def _share(count, n) -> float | None:
    return None if count is None or not n else count / n


def relapse_curve(con, user: User, cohort: Cohort, as_of: date | None = None,
                  settings: Settings | None = None) -> pd.DataFrame:
    """Time to relapse (Kaplan-Meier, dropout counted as relapse): day, at_risk, events, survival, one row per day
    with a relapse. The viewer sees only the days with at least the small-cell threshold at risk, the number at risk
    rounded, no relapse count and the survival in whole percent: a step's size times those at risk would give it."""
    user = require(con, user, EVERYONE)
    s = resolve(settings)
    at = scope(user, cohort, as_of, s)
    with db.read(con) as cur:
        curve = cur.execute(CURVE_SQL, _params(at.cohort, at.as_of, s)).df()
    return _curve_shown(curve, at, s)


def _curve_shown(curve: pd.DataFrame, at: Scope, s: Settings) -> pd.DataFrame:
    if at.round_to is None:
        return curve
    curve = curve[curve["at_risk"] >= s.small_cell_min].drop(columns="events")
    return curve.assign(at_risk=[disclosure.rounded(int(n), at.round_to) for n in curve["at_risk"]],
                        survival=curve["survival"].round(2)).reset_index(drop=True)


PER_PATIENT_SQL = f"""
WITH {COHORT_SQL},
{PER_PATIENT_SHARES_SQL},
craving AS (
    SELECT patient_id, avg(craving_after - craving_before) AS change, count(*) AS sessions FROM sessions_of
    WHERE craving_before IS NOT NULL AND craving_after IS NOT NULL GROUP BY patient_id
),
adverse AS (
    SELECT s.patient_id, count(*) AS events,
           count(DISTINCT s.id) FILTER (WHERE e.code = 'severe_hypertension') AS severe_sessions
    FROM adverse_events e JOIN sessions_of s ON s.id = e.session_id
    WHERE CAST(e.recorded_at AS DATE) <= $as_of GROUP BY s.patient_id
)
SELECT m.patient_id, m.day0 AS first_session, m.sex, m.age_band, m.primary_substance, m.first_route,
       p.sessions, m.day0 <= $as_of - $course_min_days::INTEGER AS in_course,
       pda.share AS days_abstinent_share, hdd.share AS heavy_days_share,
       CASE WHEN ac.days = $end_days::INTEGER THEN NOT ac.any_use END AS abstinent_after_course,
       ph.baseline AS phq9_baseline, ph.follow_up AS phq9_follow_up,
       pc.baseline AS pcl5_baseline, pc.follow_up AS pcl5_follow_up,
       cr.change AS craving_change, coalesce(cr.sessions, 0) AS craving_sessions,
       coalesce(ae.events, 0) AS adverse_events, coalesce(ae.severe_sessions, 0) AS severe_htn_sessions,
       t.t AS relapse_day, t.event AS relapsed
FROM members m
JOIN per_patient p USING (patient_id)
LEFT JOIN pda USING (patient_id)
LEFT JOIN hdd USING (patient_id)
LEFT JOIN after_course ac USING (patient_id)
LEFT JOIN scores ph ON ph.patient_id = m.patient_id AND ph.instrument = 'phq9'
LEFT JOIN scores pc ON pc.patient_id = m.patient_id AND pc.instrument = 'pcl5'
LEFT JOIN craving cr USING (patient_id)
LEFT JOIN adverse ae USING (patient_id)
JOIN times t USING (patient_id)
ORDER BY m.day0, m.patient_id
"""


def _per_patient(con, cohort: Cohort, as_of: date, s: Settings) -> pd.DataFrame:
    with db.read(con) as cur:
        return cur.execute(PER_PATIENT_SQL, {**_params(cohort, as_of, s), "course_min_days": s.course_min_days,
                                             "end_days": s.end_of_course_days}).df()


def _behind(rows: pd.DataFrame, figure: str, s: Settings) -> pd.DataFrame:
    """The patients a figure stands on, from the per-patient rows: a share's or a mean's n, each with the values
    that decide their part; for a rate of events per session, the patients with such an event (the sessions
    without one are the rate's n, and listing every patient with 0 hid the few who mattered)."""
    if figure in ("completed_course", "left_after_first"):
        return rows[rows["in_course"]]
    if figure == "pda":
        return rows[rows["days_abstinent_share"].notna()]
    if figure == "heavy_drinking_days":
        return rows[rows["heavy_days_share"].notna()]
    if figure == "end_of_course_abstinence":
        return rows[rows["abstinent_after_course"].notna()]
    if figure in ("phq9_response", "phq9_remission"):
        return rows[(rows["phq9_baseline"] >= s.phq9_baseline_min) & rows["phq9_follow_up"].notna()]
    if figure == "pcl5_meaningful_change":
        return rows[rows["pcl5_baseline"].notna() & rows["pcl5_follow_up"].notna()]
    if figure == "craving_change_per_session":
        return rows[rows["craving_sessions"] > 0]
    if figure == "ae_per_session":
        return rows[rows["adverse_events"] > 0]
    if figure == "severe_htn_per_session":
        return rows[rows["severe_htn_sessions"] > 0]
    return rows


def patients_behind(con, user: User, cohort: Cohort, figure: str, as_of: date | None = None,
                    settings: Settings | None = None) -> pd.DataFrame:
    """Staff only: the patients a figure counts, with names and chart numbers, to open their charts by id."""
    return _named(con, _behind_rows(con, user, cohort, figure, as_of, settings))


BEHIND_PAGE_SIZE = 50
"""A screenful of the patients behind a figure: only they are named and sent."""


@dataclass(frozen=True)
class BehindPage:
    rows: pd.DataFrame
    total: int
    page: int
    """1-based; a page past the end is the last page."""
    pages: int


def behind_page(con, user: User, cohort: Cohort, figure: str, as_of: date | None = None, page: int = 1,
                settings: Settings | None = None) -> BehindPage:
    """One page of `patients_behind`, earliest first session first: only that page's patients are looked up by
    name, so the list costs the same whether the figure counts 20 patients or 80,000."""
    require(con, user, STAFF)
    page = validate.whole_number(page, "Page")
    rows = _behind_rows(con, user, cohort, figure, as_of, settings)
    pages = max(1, -(-len(rows) // BEHIND_PAGE_SIZE))
    page = min(max(1, page), pages)
    return BehindPage(_named(con, rows.iloc[(page - 1) * BEHIND_PAGE_SIZE:page * BEHIND_PAGE_SIZE]), len(rows),
                      page, pages)


def _behind_rows(con, user: User, cohort: Cohort, figure: str, as_of, settings) -> pd.DataFrame:
    require(con, user, STAFF)
    if not isinstance(figure, str) or figure not in FIGURES:
        raise ValueError(f"Unknown figure {figure!r}")
    s = resolve(settings)
    rows = _behind(_per_patient(con, cohort, _as_of(as_of), s), figure, s)
    return rows.sort_values(["first_session", "patient_id"], kind="stable")


def _named(con, rows: pd.DataFrame) -> pd.DataFrame:
    """The rows with each patient's name and chart number, in the rows' own order."""
    with db.read(con) as cur:
        names = cur.execute(
            "SELECT id AS patient_id, last_name || ', ' || first_name AS patient, mrn AS chart_number FROM patients "
            "WHERE list_contains(?, id)", [[int(i) for i in rows["patient_id"]]]).df()
    return names.merge(rows, on="patient_id", how="right")[[*names.columns, *rows.columns.drop("patient_id")]] \
        .reset_index(drop=True)


MAX_SESSION_NUMBER = 12
"""Charts by session number stop here: a longer course is rare, and its few patients would be suppressed anyway."""
COURSE_WEEKS = 26

CHARTS = {
    "craving": ChartRows(
        (),
        f"""SELECT number AS session_number, 'Before the dose' AS moment, avg(craving_before) AS value,
               count(craving_before) AS n
        FROM sessions_of WHERE number <= {MAX_SESSION_NUMBER} GROUP BY number
        UNION ALL
        SELECT number, 'After the session', avg(craving_after), count(craving_after)
        FROM sessions_of WHERE number <= {MAX_SESSION_NUMBER} GROUP BY number""",
        "session_number, moment DESC"),
    "phq9": ChartRows(
        (f"""
        weekly AS (
            SELECT m.patient_id,
                   least({COURSE_WEEKS}, greatest(0, CAST(floor((CAST(a.taken_at AS DATE) - m.day0) / 7) AS INTEGER)))
                     AS week,
                   arg_max(a.total, (a.taken_at, a.id)) AS total
            FROM members m JOIN assessments a ON a.patient_id = m.patient_id AND a.instrument = 'phq9'
            WHERE a.total IS NOT NULL AND CAST(a.taken_at AS DATE) <= $as_of
              AND CAST(a.taken_at AS DATE) >= m.day0 - 30
            GROUP BY m.patient_id, week
        )""",),
        "SELECT week, avg(total) AS value, count(*) AS n FROM weekly GROUP BY week",
        "week"),
    "use": ChartRows(
        ("""
        monthly AS (
            SELECT patient_id, primary_substance, month, (days - used_days) / days AS abstinent,
                   heavy_days / days AS heavy
            FROM log_months
        )""",),
        """SELECT month, 'Days abstinent' AS measure, avg(abstinent) AS value, count(*) AS n FROM monthly GROUP BY month
        UNION ALL
        SELECT month, 'Heavy drinking days (alcohol)', avg(heavy), count(*) FROM monthly
        WHERE primary_substance = 'alcohol' GROUP BY month""",
        "month, measure"),
    "retention": ChartRows(
        (COURSE_SQL,),
        f"""SELECT k AS session_number, avg(CASE WHEN sessions >= k THEN 1.0 ELSE 0.0 END) AS value, count(*) AS n,
               count(*) FILTER (WHERE sessions >= k) AS counted
        FROM course CROSS JOIN range(1, {MAX_SESSION_NUMBER} + 1) r(k)
        GROUP BY k""",
        "session_number"),
    "adverse": ChartRows(
        ("""
        per_session AS (
            SELECT s.id, s.patient_id, date_trunc('month', s.started_at) AS month,
                   (SELECT count(*) FROM adverse_events e WHERE e.session_id = s.id
                      AND CAST(e.recorded_at AS DATE) <= $as_of) AS events
            FROM sessions_of s
        )""",),
        """SELECT CAST(month AS DATE) AS month, sum(events) / count(*) AS value, count(*) AS n,
               count(DISTINCT patient_id) AS patients, sum(events) AS counted
        FROM per_session GROUP BY month""",
        "month"),
}
SERIES_SQL = {name: rows.sql for name, rows in CHARTS.items()}
VIEWER_VALUES = {"craving": disclosure.mean_shown, "phq9": disclosure.mean_shown, "use": disclosure.share_shown}
"""How a chart's mean reaches the viewer (core.rules.disclosure); the other charts' values are worked out from
rounded counts."""
"""Each chart's rows: aggregated in DuckDB to at most a few hundred rows, whatever the size of the clinic."""


def series(con, user: User, cohort: Cohort, name: str, as_of: date | None = None,
           settings: Settings | None = None) -> pd.DataFrame:
    """One chart's aggregated rows, each with its n. For the viewer, rows with fewer patients than the small-cell
    threshold behind them are left out (a row's n counts sessions where a patient has many, so `patients` decides),
    each n is rounded, and a share is worked out from rounded counts."""
    user = require(con, user, EVERYONE)
    if not isinstance(name, str) or name not in SERIES_SQL:
        raise ValueError(f"Unknown series {name!r}")
    s = resolve(settings)
    at = scope(user, cohort, as_of, s)
    params = _params(at.cohort, at.as_of, s)
    if name == "retention":
        params["course_min_days"] = s.course_min_days
    with db.read(con) as cur:
        rows = cur.execute(SERIES_SQL[name], params).df()
    return _series_shown(name, rows, at, s)


def _series_shown(name: str, rows: pd.DataFrame, at: Scope, s: Settings) -> pd.DataFrame:
    rows = rows[rows["n"] > 0]
    if at.round_to is not None:
        behind = rows["patients"] if "patients" in rows else rows["n"]
        rows = rows[behind >= s.small_cell_min]
        n = [disclosure.rounded(int(v), at.round_to) for v in rows["n"]]
        if "counted" in rows:
            rows = rows.assign(value=[disclosure.rounded(int(k), at.round_to) / m if m else None
                                      for k, m in zip(rows["counted"], n, strict=True)])
        if name in VIEWER_VALUES:
            rows = rows.assign(value=rows["value"].map(VIEWER_VALUES[name]))
        rows = rows.assign(n=n)
        rows = rows[rows["n"] > 0]
    return rows.drop(columns=["patients", "counted"], errors="ignore").reset_index(drop=True)


CHART_NAMES = ("relapse", *CHARTS)
OVERVIEW_CTES = tuple(dict.fromkeys(FIGURES_CTES + CURVE.ctes + tuple(c for r in CHARTS.values() for c in r.ctes)))
OVERVIEW_SQL = ("WITH " + ",".join(OVERVIEW_CTES) + "\nSELECT" + FIGURES_SELECT + ",\n"
                + ",\n".join(rows.listed(f"chart_{name}")
                              for name, rows in zip(CHART_NAMES, (CURVE, *CHARTS.values()), strict=True)))
"""The figures and every chart's rows in one statement, each chart's rows as a list column."""
UNLIST_SQL = {name: f"SELECT unnest(chart_{name}, recursive := true) FROM overview" for name in CHART_NAMES}
"""A chart's list column as the rows its own statement gives (DuckDB makes both frames, so the types agree)."""


@dataclass(frozen=True)
class Overview:
    figures: dict[str, Figure]
    series: dict[str, pd.DataFrame]
    relapse: pd.DataFrame


def overview(con, user: User, cohort: Cohort, as_of: date | None = None,
             settings: Settings | None = None) -> Overview:
    """What `figures`, each `series` and `relapse_curve` give, shown by the same rules, from one pass over the
    cohort: seven statements each worked out the cohort, its sessions and its use log again."""
    user = require(con, user, EVERYONE)
    s = resolve(settings)
    at = scope(user, cohort, as_of, s)
    with db.read(con) as cur:
        result = cur.sql(OVERVIEW_SQL, params=_figure_params(at.cohort, at.as_of, s)).to_arrow_table()
        charts = {name: cur.from_arrow(result).query("overview", UNLIST_SQL[name]).df() for name in CHART_NAMES}
    figures_row = result.drop_columns([f"chart_{name}" for name in CHART_NAMES]).to_pylist()[0]
    return Overview(_figures_shown(figures_row, at, s),
                    {name: _series_shown(name, charts[name], at, s) for name in CHARTS},
                    _curve_shown(charts["relapse"], at, s))
