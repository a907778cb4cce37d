"""A page draws a screenful, whatever the database holds (issue 21): the approval queue and its chooser hold one
page of 25, and the patients behind an Outcomes figure one page of 50."""

from core import approvals, patients
from core.screening_form import validate_screening
from tests.core.test_screening_and_approval import NOW, NURSE, valid_raw
from tests.pages.conftest import all_text, form_key
from tests.pages.test_screening_pages import click, stored

WAITING = 40


def fill_the_queue(at) -> None:
    from ui.store import clinic

    for number in range(WAITING):
        patients.save_screening(clinic().con, NURSE, validate_screening(valid_raw(
            mrn=f"QUEUE-{number:04d}", last_name=f"Queue{chr(65 + number // 26)}{chr(97 + number % 26)}"),
            now=NOW), now=NOW)


def test_the_queue_draws_one_page_of_25_and_turns_to_the_next(page):
    at = page("pages/approvals.py", "prescriber")
    fill_the_queue(at)
    at.run()
    (total,) = stored(at, f"SELECT count(*) FROM ({approvals.WAITING_SQL})")[0]
    chooser = at.selectbox(key=form_key(at, "approval_pick", "screening"))
    assert len(at.dataframe[0].value) == len(chooser.options) == approvals.QUEUE_PAGE_SIZE < total
    assert f"{total} waiting" in all_text(at) and "page 1 of 2" in all_text(at)
    first_page = set(chooser.options)
    at = click(at, "Next page")
    chooser = at.selectbox(key=form_key(at, "approval_pick", "screening"))
    assert len(chooser.options) == total - approvals.QUEUE_PAGE_SIZE and not set(chooser.options) & first_page
    assert "page 2 of 2" in all_text(at)
