"""A page draws a screenful, whatever the database holds (issue 21): the approval queue and its chooser hold one
page of 25, the patients behind an Outcomes figure one page of 50, and the Dosing page's patient chooser 20."""

from datetime import datetime, timedelta

from core import approvals, dosing_sessions, patients
from core.screening_form import validate_screening
from tests.core.test_dosing_sessions import CALM, started
from tests.core.test_screening_and_approval import (
    NOW,
    NURSE,
    PRESCRIBER,
    PRESCRIBER_PASSWORD,
    pending_screening,
    valid_raw,
)
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
    assert [int(option.split(" · ")[2] == last_chart) for option in chooser.options] == [1]
    assert chooser.set_value(last_id).run().selectbox(key=form_key(at, "dosing_pick", "patient")).value == last_id


def test_the_board_draws_25_sessions_a_page_and_names_every_severe_one_above(page):
    """886 sessions in progress in the 100,000-patient demo sent 229 KB a run: the board pages them, and a severe
    blood pressure on a later page is still named in the banner above the first."""
    from ui.store import clinic

    at = page("pages/dosing.py", "nurse")
    con, now = clinic().con, datetime.now()
    for number in range(30):
        last = f"Board{chr(97 + number // 26)}{chr(97 + number % 26)}"
        saved = pending_screening(con, mrn=f"BOARD-{number:04d}", last_name=last)
        approvals.decide(con, PRESCRIBER, saved.screening_id, "approved", "Suitable", PRESCRIBER_PASSWORD, now=now)
        session = started(con, saved.patient_id, at=now - timedelta(minutes=20))
    dosing_sessions.add_vitals(con, NURSE, session, minutes_after_dose=15, **{**CALM, "systolic_bp": 186,
                                                                               "diastolic_bp": 112},
                               now=now - timedelta(minutes=4))
    (running,) = stored(at, "SELECT count(*) FROM dosing_sessions WHERE status = 'in_progress'")[0]
    at = at.run()
    board = next(df for df in at.dataframe if "Next reading" in df.value.columns)
    assert len(board.value) == 25 < running and f"{running} sessions in progress" in all_text(at)
    assert last not in set(board.value["Patient"].str.split(",").str[0])
    assert any(last in e.value and "186/112" in e.value for e in at.error)
    at = click(at, "Next page")
    board = next(df for df in at.dataframe if "Next reading" in df.value.columns)
    assert len(board.value) == running - 25 and f"page 2 of {-(-running // 25)}" in all_text(at)


def test_home_lists_the_oldest_ten_safety_assessments_and_says_how_many_wait(page):
    """42 open in the 100,000-patient demo, each a box with a button: Home lists ten, as it does its other lists."""
    from core import db, safety
    from ui.store import clinic

    at = page("app.py", "nurse")
    con = clinic().con
    screened = con.execute("""SELECT patient_id, id FROM screenings s WHERE NOT EXISTS
                                  (SELECT 1 FROM safety_followups f WHERE f.screening_id = s.id)
                              ORDER BY id LIMIT 15""").fetchall()
    with db.transaction(con) as cur:
        for patient_id, screening_id in screened:
            safety.raise_followup(cur, patient_id, datetime.now(), screening_id=screening_id)
    (waiting,) = stored(at, "SELECT count(*) FROM (" + safety.OPEN_SQL + ")")[0]
    at = at.run()
    buttons = [b for b in at.button if b.label == "Record the assessment"]
    assert len(buttons) == safety.LISTED < waiting
    assert f"The first 10 of {waiting}; oldest first" in all_text(at)
