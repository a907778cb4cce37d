"""Issue 21, item 2: the Outcomes page's one pass over the cohort (`outcomes.overview`) gives what the figures, each
chart's statement and the relapse curve give on their own, to staff and to the de-identified viewer."""

from datetime import date

import pandas.testing as pdt
import pytest

from core import outcomes
from core.access import User
from core.outcomes import Cohort
from core.rules.settings import resolve
from tests.conftest import DEMO_TODAY
from tests.core.test_outcomes import ALL, AS_OF, STAFF_USER, VIEWER, cohort_store  # noqa: F401 (a fixture)

RELATIVE = 1e-9
"""DuckDB adds a mean's terms in parallel, in whatever order its threads finish: the last digits may differ."""


def assert_same(con, user, cohort, as_of):
    both = outcomes.overview(con, user, cohort, as_of=as_of)
    alone = outcomes.figures(con, user, cohort, as_of=as_of)
    assert both.figures.keys() == alone.keys()
    for name, figure in alone.items():
        assert (both.figures[name].n, both.figures[name].suppressed) == (figure.n, figure.suppressed), name
        if figure.value is None:
            assert both.figures[name].value is None, name
        else:
            assert both.figures[name].value == pytest.approx(figure.value, rel=RELATIVE), name
    assert both.series.keys() == outcomes.SERIES_SQL.keys()
    for name in outcomes.SERIES_SQL:
        pdt.assert_frame_equal(both.series[name], outcomes.series(con, user, cohort, name, as_of=as_of),
                               rtol=RELATIVE, obj=name)
    pdt.assert_frame_equal(both.relapse, outcomes.relapse_curve(con, user, cohort, as_of=as_of), rtol=RELATIVE)


@pytest.mark.parametrize("user", [STAFF_USER, VIEWER], ids=["staff", "viewer"])
def test_the_overview_of_the_hand_worked_cohort_is_each_statement_s_answer(cohort_store, user):  # noqa: F811
    assert_same(cohort_store, user, ALL, AS_OF)


def demo_user(con, username: str) -> User:
    return User(*con.execute("SELECT id, username, display_name, role FROM users WHERE username = ?",
                             [username]).fetchone())


COHORTS = {
    "everyone": Cohort(date(2000, 1, 1), DEMO_TODAY),
    "alcohol": Cohort(date(2000, 1, 1), DEMO_TODAY, substances=frozenset({"alcohol"})),
    "women over 45, IV": Cohort(date(2000, 1, 1), DEMO_TODAY, sexes=frozenset({"female"}), routes=frozenset({"iv"}),
                                age_bands=frozenset({"46-55", "56-64", "65+"})),
    "opioids, IM (3 patients)": Cohort(date(2000, 1, 1), DEMO_TODAY, substances=frozenset({"opioids"}),
                                       routes=frozenset({"im"})),
    "a quarter": Cohort(date(2026, 1, 1), date(2026, 3, 31)),
    "nobody": Cohort(date(2001, 1, 1), date(2001, 1, 2)),
}


@pytest.mark.parametrize("cohort", COHORTS.values(), ids=COHORTS.keys())
@pytest.mark.parametrize("username", ["prescriber", "viewer"])
def test_the_overview_of_the_demo_clinic_is_each_statement_s_answer(demo_store, cohort, username):
    assert_same(demo_store, demo_user(demo_store, username), cohort, DEMO_TODAY)


def test_the_viewer_s_overview_is_not_the_staff_s(demo_store):
    """The viewer's rules are applied to the one pass too: rounded counts, and a small group suppressed."""
    everyone, small = COHORTS["everyone"], COHORTS["opioids, IM (3 patients)"]
    staff = outcomes.overview(demo_store, demo_user(demo_store, "prescriber"), everyone, as_of=DEMO_TODAY)
    viewer = outcomes.overview(demo_store, demo_user(demo_store, "viewer"), everyone, as_of=DEMO_TODAY)
    base = resolve(None).small_cell_min
    assert viewer.figures["patients"].n % base == 0 and staff.figures["patients"].n % base != 0
    assert "events" not in viewer.relapse and "events" in staff.relapse
    hidden = outcomes.overview(demo_store, demo_user(demo_store, "viewer"), small, as_of=DEMO_TODAY)
    assert all(figure.suppressed for figure in hidden.figures.values())


USE_LOG_BY_DAY = {
    "min(l.first_use) AS first_use, coalesce(max(l.last_idx), 0) AS last_idx\n"
    "    FROM members m LEFT JOIN log_months l":
        "min(l.idx) FILTER (WHERE l.used) AS first_use, coalesce(max(l.idx), 0) AS last_idx\n"
        "    FROM members m LEFT JOIN log_days l",
    "(sum(days) - sum(used_days)) / sum(days) AS share FROM log_months":
        "avg(CASE WHEN used THEN 0.0 ELSE 1.0 END) AS share FROM log_days",
    "sum(heavy_days) / sum(days) AS share FROM log_months":
        "avg(CASE WHEN heavy THEN 1.0 ELSE 0.0 END) AS share FROM log_days",
    """SELECT patient_id, primary_substance, month, (days - used_days) / days AS abstinent,
                   heavy_days / days AS heavy
            FROM log_months""": """SELECT patient_id, primary_substance, idx // 30 + 1 AS month,
                   avg(CASE WHEN used THEN 0.0 ELSE 1.0 END) AS abstinent, avg(CASE WHEN heavy THEN 1.0 ELSE 0.0 END)
                     AS heavy
            FROM log_days GROUP BY patient_id, primary_substance, month""",
}
"""The use log's figures as they were worked out from its days (before the days were first added up by month), kept
to check the new statement against."""


def by_day(sql: str) -> str:
    for new, old in USE_LOG_BY_DAY.items():
        assert new in sql
        sql = sql.replace(new, old)
    return sql


@pytest.mark.parametrize("cohort", COHORTS.values(), ids=COHORTS.keys())
def test_the_use_log_added_up_by_month_gives_what_its_days_gave(demo_store, cohort):
    """Days abstinent, heavy drinking days, the relapse curve and the monthly use chart, each from the use log's
    months, against the same statement reading the log day by day."""
    params = outcomes._figure_params(cohort, DEMO_TODAY, resolve(None))
    new = demo_store.execute(outcomes.OVERVIEW_SQL, params).fetchall()
    old = demo_store.execute(by_day(outcomes.OVERVIEW_SQL), params).fetchall()
    assert _close(new, old)


def _close(new, old) -> bool:
    """Rows equal, floats to RELATIVE (a list column's structs compared field by field)."""
    if isinstance(new, (list, tuple)):
        assert isinstance(old, (list, tuple)) and len(new) == len(old)
        return all(_close(a, b) for a, b in zip(new, old, strict=True))
    if isinstance(new, dict):
        assert new.keys() == old.keys()
        return all(_close(new[k], old[k]) for k in new)
    if isinstance(new, float):
        assert new == pytest.approx(old, rel=RELATIVE)
        return True
    assert new == old
    return True
