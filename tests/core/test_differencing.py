"""No two screens the viewer can reach, one step apart, give a count of 1 to 10 by subtraction (issue 19, item 1).

Every count the viewer reads (patients, sessions, each figure's n), and every count a share implies (the share
times its n), is compared between two screens that differ by one step: one more substance, route, sex or age band
ticked, the dates moved by a day or by a quarter. Their difference must be 0 or at least 11.
"""

from datetime import date, timedelta

import pytest

from core import outcomes
from core.access import User
from core.outcomes import AGE_BANDS, SEXES, Cohort
from core.rules import disclosure
from core.schema import ROUTES, SUBSTANCES
from tests.conftest import DEMO_TODAY

VIEWER = User(5, "viewer", "Demo Stakeholder", "viewer")
SHARES = ("completed_course", "left_after_first", "end_of_course_abstinence", "phq9_response", "phq9_remission",
          "pcl5_meaningful_change", "ae_per_session", "severe_htn_per_session")
BASE = Cohort(date(2025, 1, 1), date(2025, 12, 31))


def counts(figures: dict) -> dict[str, float]:
    """Every count the screen shows or implies: values of the two counts, every n, and share x n."""
    seen = {}
    for name, f in figures.items():
        if f.suppressed:
            continue
        seen[f"{name} n"] = f.n
        if name in ("patients", "sessions"):
            seen[name] = f.value
        if name in SHARES and f.value is not None:
            base = figures["sessions"].value if name in ("ae_per_session", "severe_htn_per_session") else f.n
            seen[f"{name} count"] = round(f.value * base, 6)
    return seen


def one_step_neighbours(cohort: Cohort):
    for field, choices in (("substances", SUBSTANCES), ("routes", ROUTES), ("sexes", SEXES),
                           ("age_bands", AGE_BANDS)):
        current = getattr(cohort, field)
        for choice in choices:
            if choice not in current:
                yield f"{field} + {choice}", cohort.__class__(**{**cohort.__dict__, field: current | {choice}})
    for days in (1, 31, 92):
        yield f"end + {days} days", cohort.__class__(**{**cohort.__dict__, "end": cohort.end + timedelta(days=days)})
        yield f"start - {days} days", cohort.__class__(**{**cohort.__dict__,
                                                            "start": cohort.start - timedelta(days=days)})


@pytest.mark.parametrize("start", [
    BASE,
    Cohort(date(2025, 3, 1), date(2025, 8, 15), substances=frozenset({"alcohol"})),
    Cohort(date(2024, 7, 1), date(2026, 3, 31), sexes=frozenset({"female"}), routes=frozenset({"iv"})),
    Cohort(date(2025, 1, 1), date(2026, 6, 30), age_bands=frozenset({"26-35", "36-45"})),
])
def test_no_count_of_one_to_ten_is_derived_from_two_screens_one_step_apart(demo_store, start):
    here = counts(outcomes.figures(demo_store, VIEWER, start, as_of=DEMO_TODAY))
    checked = 0
    for step, neighbour in one_step_neighbours(start):
        there = counts(outcomes.figures(demo_store, VIEWER, neighbour, as_of=DEMO_TODAY))
        for key in here.keys() & there.keys():
            difference = abs(there[key] - here[key])
            assert not 0 < difference < 11, f"{step}: {key} differs by {difference}"
            checked += 1
    assert checked > 100


def test_the_viewer_figures_do_not_move_with_a_day_or_with_tomorrow(demo_store):
    today = outcomes.figures(demo_store, VIEWER, BASE, as_of=DEMO_TODAY.replace(day=15))
    assert outcomes.figures(demo_store, VIEWER, BASE, as_of=DEMO_TODAY.replace(day=16)) == today
    moved = Cohort(BASE.start + timedelta(days=1), BASE.end - timedelta(days=1))
    assert outcomes.figures(demo_store, VIEWER, moved, as_of=DEMO_TODAY.replace(day=15)) == today


def test_the_viewer_curve_and_series_hold_no_count_a_subtraction_could_use(demo_store):
    curve = outcomes.relapse_curve(demo_store, VIEWER, BASE, as_of=DEMO_TODAY)
    assert "events" not in curve and all(n % 11 == 0 for n in curve["at_risk"])
    for name in outcomes.SERIES_SQL:
        rows = outcomes.series(demo_store, VIEWER, BASE, name, as_of=DEMO_TODAY)
        assert all(n % 11 == 0 and n >= 11 for n in rows["n"]), name
        assert "counted" not in rows and "patients" not in rows


@pytest.mark.parametrize("count, shown", [(0, 0), (1, 0), (5, 0), (6, 11), (11, 11), (16, 11), (17, 22), (27, 22),
                                          (28, 33), (110, 110)])
def test_rounding_to_the_small_cell_minimum(count, shown):
    assert disclosure.rounded(count, 11) == shown


@pytest.mark.parametrize("day, start, end", [(date(2026, 1, 1), date(2026, 1, 1), date(2026, 3, 31)),
                                             (date(2026, 3, 31), date(2026, 1, 1), date(2026, 3, 31)),
                                             (date(2026, 4, 1), date(2026, 4, 1), date(2026, 6, 30)),
                                             (date(2026, 11, 30), date(2026, 10, 1), date(2026, 12, 31))])
def test_a_day_belongs_to_its_calendar_quarter(day, start, end):
    assert (disclosure.quarter_start(day), disclosure.quarter_end(day)) == (start, end)


def test_the_cut_off_is_the_last_day_of_the_month_before():
    assert disclosure.cut_off(date(2026, 3, 1)) == disclosure.cut_off(date(2026, 3, 31)) == date(2026, 2, 28)


def test_the_demo_shows_pcl5_change_and_depression_has_its_published_reference_point(demo_store):
    from core.rules.references import REFERENCE_POINTS
    from tests.core.test_outcomes import STAFF_USER

    staff = outcomes.figures(demo_store, STAFF_USER, Cohort(date(2020, 1, 1), DEMO_TODAY), as_of=DEMO_TODAY)
    assert staff["pcl5_meaningful_change"].n >= 11
    cited = {p.figure: p.citation for p in REFERENCE_POINTS}
    assert "McInnes LA" in cited["phq9_response"] and "McInnes LA" in cited["phq9_remission"]


def window(shown: int) -> range:
    """The counts a viewer's point with `shown` behind it may stand for: those that round to it (halves up, base 11),
    from 11 (no point is drawn with fewer)."""
    return range(max(11, shown - 5), shown + 6)


def test_a_viewer_s_chart_mean_does_not_give_away_the_count_behind_it(demo_store):
    """A mean of whole-number scores (craving 0-100, a PHQ-9 total) is a sum over a count: shown exactly, it names
    its count (63.651163... is 2737/43, where the screen says about 44). The viewer's mean must fit every count its
    rounded n stands for, so that two screens can not be subtracted down to a small group through it."""
    checked, everyone = 0, Cohort(date(2020, 1, 1), DEMO_TODAY)
    for name in ("craving", "phq9"):
        for row in outcomes.series(demo_store, VIEWER, everyone, name, as_of=DEMO_TODAY).itertuples():
            for count in window(row.n):
                sums = range(int(row.value * count) - 1, int(row.value * count) + 2)
                assert any(disclosure.mean_shown(total / count) == row.value for total in sums), (name, row, count)
                checked += 1
    assert checked > 100


def test_a_viewer_s_monthly_use_shares_are_whole_percentages(demo_store):
    rows = outcomes.series(demo_store, VIEWER, BASE, "use", as_of=DEMO_TODAY)
    assert len(rows) > 3 and all(value == disclosure.share_shown(value) for value in rows["value"])
