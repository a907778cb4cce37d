"""The patients behind a figure a screenful at a time (issue 21): at 100,000 patients the list behind "Days
abstinent" was 81,314 rows sent at once. A page holds at most 50; the pages together are the whole list."""

from datetime import date

import pytest

from core import outcomes
from core.access import AccessDenied
from core.outcomes import Cohort
from tests.conftest import DEMO_TODAY
from tests.core.test_screening_and_approval import NURSE

EVERYONE_EVER = Cohort(date(2000, 1, 1), DEMO_TODAY)
VIEWER = NURSE.__class__(5, "viewer", "Demo Viewer", "viewer")


@pytest.mark.parametrize("figure", ["patients", "pda", "severe_htn_per_session"])
def test_the_pages_together_are_the_whole_list(demo_store, figure):
    whole = outcomes.patients_behind(demo_store, NURSE, EVERYONE_EVER, figure, as_of=DEMO_TODAY)
    first = outcomes.behind_page(demo_store, NURSE, EVERYONE_EVER, figure, as_of=DEMO_TODAY)
    assert first.total == len(whole) and first.pages == max(1, -(-len(whole) // outcomes.BEHIND_PAGE_SIZE))
    pages = [outcomes.behind_page(demo_store, NURSE, EVERYONE_EVER, figure, as_of=DEMO_TODAY, page=n).rows
             for n in range(1, first.pages + 1)]
    assert all(len(rows) <= outcomes.BEHIND_PAGE_SIZE for rows in pages)
    ids = [i for rows in pages for i in rows["patient_id"]]
    assert sorted(ids) == sorted(whole["patient_id"]) and len(ids) == len(set(ids))
    assert list(pages[0].columns) == list(whole.columns)


def test_a_page_past_the_end_is_the_last_and_only_staff_read_it(demo_store):
    last = outcomes.behind_page(demo_store, NURSE, EVERYONE_EVER, "patients", as_of=DEMO_TODAY, page=10_000)
    assert last.page == last.pages and len(last.rows) > 0
    with pytest.raises(AccessDenied):
        outcomes.behind_page(demo_store, VIEWER, EVERYONE_EVER, "patients", as_of=DEMO_TODAY)
