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
