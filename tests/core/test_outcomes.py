"""Outcomes on a small hand-built cohort: each figure and the relapse curve equal the values worked out by hand.

The cohort (as of 1 Jul 2026; first sessions from 1 Jan to 30 Jun 2026):

| patient | sex, substance, born   | sessions (first route)       | use log                                    |
|---------|------------------------|------------------------------|--------------------------------------------|
| P1      | F alcohol 1990-05-10   | 5 Jan (iv)                   | 5-14 Jan, no use; then stops (dropout)     |
| P2      | M alcohol 1980-02-29   | 1,3,5,8,10,12 Jun (iv) and   | 1-30 Jun; 20 Jun 4 drinks (not heavy for   |
|         |                        | 3 Jul (after as_of)          | him), 21 Jun 5 drinks (heavy)              |
| P3      | F cocaine 2000-01-01   | 10, 13 Mar (intranasal)      | none                                       |
| P4      | F alcohol 1960-07-01   | 2, 4, 6 Feb (oral)           | 2-21 Feb; 10 Feb 4 drinks (heavy for her), |
|         |                        |                              | 11 Feb used, no count; 12 Feb not used     |
|         |                        |                              | with a count (ignored)                     |
| P7      | M meth 1995-06-15      | 20 Jun (im)                  | 20-30 Jun, no use (still in follow-up)     |
| P8      | F opioids 1975-03-03   | 1, 3 Apr (iv)                | 1-20 Apr, no use; then stops               |
| out     | M opioids, first 20 Dec 2025 (before the range); another first 15 Jul 2026 (after as_of)   |
"""

from datetime import date, datetime, timedelta

import pytest

from core import outcomes, users
from core.access import AccessDenied, User
from core.outcomes import Cohort
from core.schema import ROUTES, SUBSTANCES
from tests.conftest import DEMO_TODAY

AS_OF = date(2026, 7, 1)
ALL = Cohort(date(2026, 1, 1), date(2026, 6, 30))


class Builder:
    def __init__(self, con):
        self.con = con
        self.patients = 0

    def patient(self, sex, substance, born) -> int:
        self.patients += 1
        (pid,) = self.con.execute(
            """INSERT INTO patients (mrn, first_name, last_name, date_of_birth, sex, primary_substance, status,
                                     created_at) VALUES (?, 'Test', ?, ?, ?, ?, 'approved', ?) RETURNING id""",
            [f"OUT-{self.patients:03d}", f"Patient{self.patients}", born, sex, substance,
             datetime(2025, 12, 1)]).fetchone()
        return pid

    def session(self, pid, day, route="iv", before=None, after=None) -> int:
        at = datetime.combine(day, datetime.min.time()) + timedelta(hours=9)
        (number,) = self.con.execute("SELECT count(*) + 1 FROM dosing_sessions WHERE patient_id = ?",
                                     [pid]).fetchone()
        (sid,) = self.con.execute(
            """INSERT INTO dosing_sessions (patient_id, session_number, route, dose_mg, weight_kg, mg_per_kg,
                   started_at, discharged_at, status, craving_before, craving_after, rules_version)
               VALUES (?, ?, ?, 35, 70, 0.5, ?, ?, 'discharged', ?, ?, 'test') RETURNING id""",
            [pid, number, route, at, at + timedelta(hours=2), before, after]).fetchone()
        return sid

    def days(self, pid, first, last, used=(), drinks=None):
        drinks = drinks or {}
        day = first
        while day <= last:
            self.con.execute("INSERT INTO substance_use_days (patient_id, day, used, drinks) VALUES (?, ?, ?, ?)",
                             [pid, day, day in used, drinks.get(day)])
            day += timedelta(days=1)

    def score(self, pid, instrument, at, total):
        self.con.execute("INSERT INTO assessments (patient_id, instrument, taken_at, total, answers) "
                         "VALUES (?, ?, ?, ?, '[]')", [pid, instrument, at, total])

    def event(self, pid, sid, code, at):
        self.con.execute("INSERT INTO adverse_events (patient_id, session_id, code, recorded_at) VALUES (?, ?, ?, ?)",
                         [pid, sid, code, at])


@pytest.fixture
def cohort_store(empty_store):
    con = empty_store
    admin = users.create_first_admin(con, "boss", "Boss", "a long enough password")
    users.create_user(con, admin, "doc", "Doc", "prescriber", "a long enough password")
    users.create_user(con, admin, "funder", "Funder", "viewer", "a long enough password")
    b = Builder(con)
    d = date

    p1 = b.patient("female", "alcohol", d(1990, 5, 10))
    b.session(p1, d(2026, 1, 5), before=60, after=40)
    b.days(p1, d(2026, 1, 5), d(2026, 1, 14))
    b.score(p1, "phq9", datetime(2026, 1, 4, 9), 9)
    b.score(p1, "phq9", datetime(2026, 2, 1, 9), 4)

    p2 = b.patient("male", "alcohol", d(1980, 2, 29))
    first = b.session(p2, d(2026, 6, 1), before=80, after=40)
    for day in (3, 5, 8, 10):
        b.session(p2, d(2026, 6, day))
    last = b.session(p2, d(2026, 6, 12))
    b.session(p2, d(2026, 7, 3))
    b.days(p2, d(2026, 6, 1), d(2026, 6, 30), used={d(2026, 6, 20), d(2026, 6, 21)},
           drinks={d(2026, 6, 20): 4, d(2026, 6, 21): 5})
    b.score(p2, "phq9", datetime(2026, 5, 30, 10), 14)
    b.score(p2, "phq9", datetime(2026, 5, 30, 10), 10)   # the same moment, recorded last: the baseline
    b.score(p2, "phq9", datetime(2026, 6, 29, 10), 6)
    b.event(p2, first, "severe_hypertension", datetime(2026, 6, 1, 10))
    b.event(p2, last, "headache", datetime(2026, 7, 2, 10))   # recorded after as_of

    p3 = b.patient("female", "cocaine", d(2000, 1, 1))
    s31 = b.session(p3, d(2026, 3, 10), route="intranasal", before=70, after=50)
    s32 = b.session(p3, d(2026, 3, 13), route="intranasal", before=65)
    b.event(p3, s31, "severe_hypertension", datetime(2026, 3, 10, 10))
    b.event(p3, s31, "nausea_vomiting", datetime(2026, 3, 10, 10, 30))
    b.event(p3, s32, "headache", datetime(2026, 3, 13, 10))
    b.score(p3, "pcl5", datetime(2026, 3, 1, 9), 40)
    b.score(p3, "pcl5", datetime(2026, 4, 10, 9), 28)

    p4 = b.patient("female", "alcohol", d(1960, 7, 1))
    for day in (2, 4, 6):
        b.session(p4, d(2026, 2, day), route="oral")
    b.days(p4, d(2026, 2, 2), d(2026, 2, 21), used={d(2026, 2, 10), d(2026, 2, 11)},
           drinks={d(2026, 2, 10): 4, d(2026, 2, 12): 3})
    b.score(p4, "phq9", datetime(2026, 2, 1, 9), 16)
    b.score(p4, "phq9", datetime(2026, 3, 1, 9), 7)
    b.score(p4, "phq9", datetime(2026, 6, 1, 9), 4)
    b.score(p4, "phq9", datetime(2026, 7, 5, 9), 20)   # after as_of

    p7 = b.patient("male", "methamphetamine", d(1995, 6, 15))
    b.session(p7, d(2026, 6, 20), route="im")
    b.days(p7, d(2026, 6, 20), d(2026, 6, 30))

    p8 = b.patient("female", "opioids", d(1975, 3, 3))
    s8 = b.session(p8, d(2026, 4, 1), before=50, after=45)
    b.session(p8, d(2026, 4, 3))
    b.days(p8, d(2026, 4, 1), d(2026, 4, 20))

    early = b.patient("male", "opioids", d(1985, 1, 1))
    outside = b.session(early, d(2025, 12, 20))
    b.event(early, outside, "severe_hypertension", datetime(2025, 12, 20, 10))
    b.session(early, d(2026, 1, 10))
    late = b.patient("male", "opioids", d(1985, 1, 1))
    b.session(late, d(2026, 7, 15))
    assert s8
    return con


STAFF_USER = User(2, "doc", "Doc", "prescriber")
VIEWER = User(3, "funder", "Funder", "viewer")

EXPECTED = {
    "patients": (6, 6), "sessions": (15, 6),
    "completed_course": (1 / 5, 5), "left_after_first": (1 / 5, 5),
    "pda": ((1 + 28 / 30 + 18 / 20 + 1 + 1) / 5, 5),
    "heavy_drinking_days": ((0 + 1 / 30 + 2 / 20) / 3, 3),
    "end_of_course_abstinence": (1 / 3, 3),
    "phq9_response": (1 / 2, 2), "phq9_remission": (1 / 2, 2),
    "pcl5_meaningful_change": (1.0, 1),
    "craving_change_per_session": ((-20 - 40 - 20 - 5) / 4, 4),
    "ae_per_session": (4 / 15, 15), "severe_htn_per_session": (2 / 15, 15),
}


def values(figures):
    return {name: (f.value, f.n) for name, f in figures.items()}


def test_every_figure_equals_the_hand_worked_value(cohort_store):
    got = values(outcomes.figures(cohort_store, STAFF_USER, ALL, as_of=AS_OF))
    assert set(got) == set(outcomes.FIGURES)
    assert got == {name: (pytest.approx(v), n) for name, (v, n) in EXPECTED.items()}


@pytest.mark.parametrize(("cohort", "expected"), [
    (Cohort(date(2026, 1, 1), date(2026, 6, 30), substances=frozenset({"alcohol"})), {
        "patients": (3, 3), "sessions": (10, 3), "completed_course": (1 / 3, 3), "left_after_first": (1 / 3, 3),
        "pda": ((1 + 28 / 30 + 18 / 20) / 3, 3), "heavy_drinking_days": ((0 + 1 / 30 + 2 / 20) / 3, 3),
        "end_of_course_abstinence": (0.0, 2), "phq9_response": (0.5, 2), "phq9_remission": (0.5, 2),
        "pcl5_meaningful_change": (None, 0), "craving_change_per_session": (-30.0, 2),
        "ae_per_session": (1 / 10, 10), "severe_htn_per_session": (1 / 10, 10)}),
    (Cohort(date(2026, 1, 1), date(2026, 6, 30), sexes=frozenset({"male"})), {
        "patients": (2, 2), "sessions": (7, 2), "completed_course": (1.0, 1), "left_after_first": (0.0, 1),
        "pda": ((28 / 30 + 1) / 2, 2), "heavy_drinking_days": (1 / 30, 1),
        "end_of_course_abstinence": (0.0, 1), "phq9_response": (0.0, 1), "phq9_remission": (0.0, 1),
        "pcl5_meaningful_change": (None, 0), "craving_change_per_session": (-40.0, 1),
        "ae_per_session": (1 / 7, 7), "severe_htn_per_session": (1 / 7, 7)}),
    (Cohort(date(2026, 1, 1), date(2026, 6, 30), routes=frozenset({"intranasal"})), {
        "patients": (1, 1), "sessions": (2, 1), "completed_course": (0.0, 1), "left_after_first": (0.0, 1),
        "pda": (None, 0), "heavy_drinking_days": (None, 0), "end_of_course_abstinence": (None, 0),
        "phq9_response": (None, 0), "phq9_remission": (None, 0), "pcl5_meaningful_change": (1.0, 1),
        "craving_change_per_session": (-20.0, 1), "ae_per_session": (3 / 2, 2),
        "severe_htn_per_session": (1 / 2, 2)}),
    (Cohort(date(2026, 1, 1), date(2026, 6, 30), age_bands=frozenset({"46-55", "65+"})), {
        "patients": (3, 3), "sessions": (11, 3), "completed_course": (1 / 3, 3), "left_after_first": (0.0, 3),
        "pda": ((28 / 30 + 18 / 20 + 1) / 3, 3), "heavy_drinking_days": ((1 / 30 + 2 / 20) / 2, 2),
        "end_of_course_abstinence": (1 / 3, 3), "phq9_response": (0.5, 2), "phq9_remission": (0.5, 2),
        "pcl5_meaningful_change": (None, 0), "craving_change_per_session": ((-40 - 5) / 2, 2),
        "ae_per_session": (1 / 11, 11), "severe_htn_per_session": (1 / 11, 11)}),
    (Cohort(date(2026, 2, 1), date(2026, 3, 31)), {
        "patients": (2, 2), "sessions": (5, 2), "completed_course": (0.0, 2), "left_after_first": (0.0, 2),
        "pda": (0.9, 1), "heavy_drinking_days": (0.1, 1), "end_of_course_abstinence": (0.0, 1),
        "phq9_response": (1.0, 1), "phq9_remission": (1.0, 1), "pcl5_meaningful_change": (1.0, 1),
        "craving_change_per_session": (-20.0, 1), "ae_per_session": (3 / 5, 5),
        "severe_htn_per_session": (1 / 5, 5)}),
    (Cohort(date(2026, 8, 1), date(2026, 8, 31)), {
        "patients": (0, 0), "sessions": (0, 0), **{name: (None, 0) for name in outcomes.FIGURES[2:]}}),
])
def test_each_filter_narrows_the_cohort_as_worked_by_hand(cohort_store, cohort, expected):
    got = values(outcomes.figures(cohort_store, STAFF_USER, cohort, as_of=AS_OF))
    assert got == {name: (None if v is None else pytest.approx(v), n) for name, (v, n) in expected.items()}


def test_the_relapse_curve_counts_dropout_as_relapse_and_censors_those_still_followed(cohort_store):
    curve = outcomes.relapse_curve(cohort_store, STAFF_USER, ALL, as_of=AS_OF)
    # P3 (no log) day 1; P4 first use day 8; P1 log stopped after day 9: day 10; P7 censored at 10 (still at risk
    # that day); P2 first use day 19; P8 log stopped after day 19: day 20.
    assert curve[["day", "at_risk", "events"]].values.tolist() == [[1, 6, 1], [8, 5, 1], [10, 4, 1], [19, 2, 1],
                                                                    [20, 1, 1]]
    assert curve["survival"].tolist() == pytest.approx([5 / 6, 4 / 6, 3 / 6, 1.5 / 6, 0.0])


def test_use_on_day_0_is_a_relapse_at_day_0(cohort_store):
    cohort_store.execute("UPDATE substance_use_days SET used = TRUE WHERE day = DATE '2026-06-20' "
                         "AND patient_id = (SELECT id FROM patients WHERE last_name = 'Patient5')")
    curve = outcomes.relapse_curve(cohort_store, STAFF_USER, ALL, as_of=AS_OF)
    assert curve[["day", "events"]].values.tolist()[0] == [0, 1]


def test_a_viewer_of_a_cohort_of_one_to_ten_sees_no_value_and_no_n(cohort_store):
    got = outcomes.figures(cohort_store, VIEWER, ALL, as_of=AS_OF)
    assert all(f.value is None and f.n is None and f.suppressed for f in got.values())
    assert outcomes.relapse_curve(cohort_store, VIEWER, ALL, as_of=AS_OF).empty


def test_an_empty_cohort_is_not_suppressed_it_is_zero(cohort_store):
    got = outcomes.figures(cohort_store, VIEWER, Cohort(date(2026, 8, 1), date(2026, 8, 31)), as_of=AS_OF)
    assert (got["patients"].value, got["sessions"].value) == (0, 0)


def test_age_is_completed_years_on_the_first_session_day_with_29_february(empty_store):
    con = empty_store
    admin = users.create_first_admin(con, "boss", "Boss", "a long enough password")
    doc = users.create_user(con, admin, "doc", "Doc", "prescriber", "a long enough password")
    b = Builder(con)
    leap = b.patient("male", "alcohol", date(2000, 2, 29))
    b.session(leap, date(2026, 2, 28))
    later = b.patient("male", "alcohol", date(2000, 2, 29))
    b.session(later, date(2026, 3, 1))
    def count(band):
        cohort = Cohort(date(2026, 1, 1), date(2026, 12, 31), age_bands=frozenset({band}))
        return outcomes.figures(con, doc, cohort, as_of=AS_OF)["patients"].value

    assert (count("18-25"), count("26-35")) == (1, 1)


@pytest.mark.parametrize(("changes", "words"), [
    ({"end": date(2025, 12, 31)}, "ends .* before it starts"),
    ({"substances": frozenset({"ketamine"})}, "Primary substance: not a choice"),
    ({"age_bands": frozenset({"18-24"})}, "Age band: not a choice"),
])
def test_a_bad_cohort_is_refused_in_words(changes, words):
    with pytest.raises(ValueError, match=words):
        Cohort(**{"start": date(2026, 1, 1), "end": date(2026, 6, 30), **changes})


def test_a_viewer_sees_suppressed_small_cells_and_the_rest_rounded_on_whole_quarters(demo_store):
    """Issue 19 changed what the viewer sees: the figures of the quarters around the dates chosen, as of the end of
    the last month, with every count rounded to a multiple of 11 (core.rules.disclosure)."""
    viewer = outcomes.figures(demo_store, User(5, "viewer", "Demo Viewer", "viewer"),
                              Cohort(date(2024, 2, 10), date(2026, 5, 3)), as_of=DEMO_TODAY)
    staff = outcomes.figures(demo_store, STAFF_USER, Cohort(date(2024, 1, 1), date(2026, 6, 30)),
                             as_of=DEMO_TODAY.replace(day=1) - timedelta(days=1))
    assert staff["patients"].value > 100
    for name, f in viewer.items():
        if staff[name].n is not None and 0 < staff[name].n < 11:
            assert f.suppressed and f.value is None and f.n is None
            continue
        assert f.n % 11 == 0 and abs(f.n - staff[name].n) <= 5, name
    for count in ("patients", "sessions"):
        assert viewer[count].value % 11 == 0 and abs(viewer[count].value - staff[count].value) <= 5


def test_staff_drill_from_a_figure_to_the_patients_it_counts(cohort_store):
    behind = outcomes.patients_behind(cohort_store, STAFF_USER, ALL, "pda", as_of=AS_OF)
    assert sorted(behind["patient"]) == ["Patient1, Test", "Patient2, Test", "Patient4, Test", "Patient5, Test",
                                         "Patient6, Test"]
    assert behind.set_index("patient")["days_abstinent_share"]["Patient4, Test"] == pytest.approx(0.9)
    response = outcomes.patients_behind(cohort_store, STAFF_USER, ALL, "phq9_response", as_of=AS_OF)
    assert response[["patient", "phq9_baseline", "phq9_follow_up"]].values.tolist() == [
        ["Patient4, Test", 16, 4], ["Patient2, Test", 10, 6]]
    with pytest.raises(AccessDenied):
        outcomes.patients_behind(cohort_store, VIEWER, ALL, "pda", as_of=AS_OF)


def test_behind_an_event_rate_are_only_the_patients_with_such_an_event(cohort_store):
    """Seen in a day's use (issue 25.13): behind "Severe high blood pressure" stood all 257 patients, most with 0.
    A rate per session counts events, so its list names the patients who had one (events after as_of not)."""
    for figure, column in (("severe_htn_per_session", "severe_htn_sessions"), ("ae_per_session", "adverse_events")):
        behind = outcomes.patients_behind(cohort_store, STAFF_USER, ALL, figure, as_of=AS_OF)
        assert behind[["patient", column]].values.tolist() == [["Patient3, Test", 1 if column[0] == "s" else 3],
                                                               ["Patient2, Test", 1]], figure


def series(con, name, user=STAFF_USER):
    rows = outcomes.series(con, user, ALL, name, as_of=AS_OF)
    return [[pytest.approx(v) if isinstance(v, float) else v for v in row] for row in rows.values.tolist()]


def test_the_chart_series_are_aggregated_as_worked_by_hand(cohort_store):
    assert series(cohort_store, "craving") == [[1, "Before the dose", 65.0, 4], [1, "After the session", 43.75, 4],
                                               [2, "Before the dose", 65.0, 1]]
    assert series(cohort_store, "retention") == [[k, v, 5] for k, v in zip(
        range(1, 13), [1.0, 0.8, 0.4, 0.2, 0.2, 0.2] + [0.0] * 6, strict=True)]
    assert series(cohort_store, "use") == [[1, "Days abstinent", (1 + 28 / 30 + 0.9 + 1 + 1) / 5, 5],
                                           [1, "Heavy drinking days (alcohol)", (1 / 30 + 0.1) / 3, 3]]
    assert series(cohort_store, "phq9") == [[0, (9 + 10 + 16) / 3, 3], [3, 5.5, 2], [4, 6.0, 1], [17, 4.0, 1]]
    months = [[f"{m:%Y-%m-%d}", v, n]
              for m, v, n in outcomes.series(cohort_store, STAFF_USER, ALL, "adverse", as_of=AS_OF).values.tolist()]
    assert months == [["2026-01-01", 0.0, 1], ["2026-02-01", 0.0, 3], ["2026-03-01", 1.5, 2],
                      ["2026-04-01", 0.0, 2], ["2026-06-01", pytest.approx(1 / 7), 7]]


def test_a_viewer_gets_no_series_point_with_fewer_than_11_behind_it(cohort_store):
    for name in outcomes.SERIES_SQL:
        assert outcomes.series(cohort_store, VIEWER, ALL, name, as_of=AS_OF).empty


def test_a_viewer_of_a_group_under_11_patients_gets_no_chart_point_even_where_sessions_reach_11(demo_store):
    """A month's adverse-event rate rests on sessions, and a few patients make many sessions: the small-cell rule
    is about patients, so a group of fewer than 11 patients gives the viewer no point on any chart."""
    staff = User(*demo_store.execute("SELECT id, username, display_name, role FROM users "
                                     "WHERE username = 'prescriber'").fetchone())
    viewer = User(*demo_store.execute("SELECT id, username, display_name, role FROM users "
                                      "WHERE username = 'viewer'").fetchone())
    small_groups_with_11_sessions = 0
    for substance in SUBSTANCES:
        for route in ROUTES:
            group = Cohort(date(2000, 1, 1), DEMO_TODAY, substances=frozenset({substance}), routes=frozenset({route}))
            staff_figures = outcomes.figures(demo_store, staff, group, as_of=DEMO_TODAY)
            if staff_figures["patients"].value >= 11:
                continue
            small_groups_with_11_sessions += staff_figures["sessions"].value >= 11
            for name in outcomes.SERIES_SQL:
                assert outcomes.series(demo_store, viewer, group, name, as_of=DEMO_TODAY).empty, (substance, route,
                                                                                                   name)
    assert small_groups_with_11_sessions, "no small group with 11 sessions: the test proves nothing"


def test_baseline_days_before_the_first_session_change_no_outcome_figure(cohort_store):
    """Issue 25.6 lets the use log start up to 90 days before the screening, as a baseline. Outcomes follow each
    patient from the first session (day 0), so heavy use logged on every one of the 90 days before it changes no
    figure, no point of the relapse curve and no chart series."""
    def everything():
        return (values(outcomes.figures(cohort_store, STAFF_USER, ALL, as_of=AS_OF)),
                outcomes.relapse_curve(cohort_store, STAFF_USER, ALL, as_of=AS_OF).values.tolist(),
                {name: series(cohort_store, name) for name in outcomes.SERIES_SQL})

    before = everything()
    cohort_store.execute(
        """INSERT INTO substance_use_days (patient_id, day, used, drinks)
           SELECT f.patient_id, CAST(f.day0 - INTERVAL (n) DAY AS DATE), TRUE, 12
           FROM (SELECT patient_id, CAST(min(started_at) AS DATE) AS day0 FROM dosing_sessions GROUP BY patient_id) f,
                range(1, 91) r(n)""")
    assert cohort_store.execute("SELECT count(*) FROM substance_use_days WHERE used AND drinks = 12").fetchone()[0] \
        == 90 * cohort_store.execute("SELECT count(DISTINCT patient_id) FROM dosing_sessions").fetchone()[0]
    assert everything() == before
