"""A page draws a screenful, whatever the database holds (issue 21): the approval queue and its chooser hold one
page of 25, the patients behind an Outcomes figure one page of 50, and the Dosing page's patient chooser 20."""

from core import approvals, dosing_sessions, patients
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


def test_the_dosing_page_offers_a_screenful_of_patients_and_finds_the_others_by_search(page):
    """81,302 options at 100,000 patients: the chooser holds the first 20 by name and says how to find the rest."""
    at = page("pages/dosing.py", "nurse")
    (waiting,) = stored(at, f"SELECT count(*) FROM patients p WHERE {dosing_sessions.READY_WHERE}",
                        ["", "", "", "", "", None, "approved", "approved"])[0]
    chooser = at.selectbox(key=form_key(at, "dosing_pick", "patient"))
    assert len(chooser.options) == dosing_sessions.READY_SHOWN < waiting
    assert f"20 of {waiting} approved patients waiting for a session" in all_text(at)
    (last_id, last_chart) = stored(at, "SELECT id, mrn FROM patients p WHERE " + dosing_sessions.READY_WHERE
                                   + " ORDER BY last_name DESC, first_name DESC, id DESC LIMIT 1",
                                   ["", "", "", "", "", None, "approved", "approved"])[0]
    at.text_input(key=form_key(at, "dosing_pick", "search")).input(last_chart)
    at = at.run()
    chooser = at.selectbox(key=form_key(at, "dosing_pick", "patient"))
    assert [int(option.split(" · ")[1] == last_chart) for option in chooser.options] == [1]
    assert chooser.set_value(last_id).run().selectbox(key=form_key(at, "dosing_pick", "patient")).value == last_id
