"""No internal code reaches the screen: every page, for every role that may open it, on the demo cohort."""

import re

import pytest

from core.approvals import QUEUE_SQL
from tests.pages.conftest import all_text, form_key
from tests.pages.test_screening_pages import click, fill, stored

CODES = re.compile(
    r"needs_review|suicide_risk|provisional_ptsd|in_progress|severe_hypertension|same_chart_number"
    r"|\bphq9\b|\bgad7\b|\bpcl5\b|\bauditc\b|\bcssrs\b|craving_vas|\bmrn\b|patient_id|screening_id|occurred_at"
    r"|entity_id|demo_seeded|sign_in|\bq[1-5]\b|behavior_3mo|behavior_lifetime|\d{4}-\d\d-\d\dT\d\d:\d\d"
    r"|clinical-rules|seed material"
)
PAGES = [("app.py", role) for role in ("admin", "prescriber", "nurse", "therapist", "viewer")] + [
    ("pages/screening.py", "nurse"), ("pages/screening.py", "prescriber"), ("pages/approvals.py", "prescriber"),
    ("pages/patients.py", "nurse"), ("pages/patients.py", "therapist"), ("pages/audit_log.py", "admin"),
    ("pages/dosing.py", "nurse"), ("pages/dosing.py", "prescriber"),
    ("pages/outcomes.py", "prescriber"), ("pages/outcomes.py", "viewer"), ("pages/admin.py", "admin"),
    ("pages/checkins.py", "therapist"), ("pages/rems.py", "nurse"),
]


def codes_in(at) -> set[str]:
    text = all_text(at) + "\n".join(str(b.label) for b in at.button)
    return set(CODES.findall(text))


@pytest.mark.parametrize(("path", "role"), PAGES)
def test_a_page_as_it_opens_shows_no_code(page, path, role):
    at = page(path, role)
    assert not at.exception
    assert codes_in(at) == set()


def test_the_prescriber_view_of_every_waiting_screening_shows_no_code(page):
    at = fill(page("pages/screening.py", "nurse"), phq9=[1, 2, 1, 1, 0, 1, 1, 0, 2],
              cssrs={"q1": True, "q2": True, "q3": True, "q4": False, "q5": False, "behavior_lifetime": True,
                     "behavior_3mo": False}, primary_substance="alcohol")
    at.session_state[form_key(at, "screening", "auditc_item1")] = 3
    at.session_state[form_key(at, "screening", "auditc_item2")] = 2
    at.session_state[form_key(at, "screening", "auditc_item3")] = 1
    at.run()
    assert codes_in(at) == set()  # the live decision panel
    at = click(at, "Save screening")
    at.session_state["user"] = at.session_state["user"].__class__(2, "prescriber", "Dr Demo Prescriber",
                                                                  "prescriber")
    at.switch_page("pages/approvals.py")
    at.run()
    for (screening_id, *_rest) in stored(at, QUEUE_SQL):
        at.selectbox(key=form_key(at, "approval_pick", "screening")).set_value(screening_id)
        at.run()
        assert not at.exception
        assert codes_in(at) == set(), screening_id


@pytest.mark.parametrize("patient_id", [1, 2, 3, 10, 57, 150, 299])
def test_a_chart_shows_no_code(page, patient_id):
    at = page("pages/patients.py", "nurse")
    at.session_state["chosen~patients"] = patient_id
    at.run()
    assert not at.exception
    assert codes_in(at) == set()
