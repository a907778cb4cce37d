"""Answers typed for one person never reach another patient's chart: a form changes hands only on two identifiers.

The case reported: a new person typed with a chart number another patient already had
(DEMO-000142); one click turned the form into that patient's re-screen and saving filed the
new person's PHQ-9, C-SSRS, substance use and blood pressure in his chart.
"""

import pytest

from core import patients
from core.screening_form import validate_screening
from tests.core.test_screening_and_approval import NOW, valid_raw
from tests.pages.conftest import DEMO_USERS, all_text
from tests.pages.test_screening_pages import click, fill, scr, stored

TAKEN = "DEMO-000142"
TYPED_PHQ9 = [3, 3, 2, 2, 1, 1, 2, 1, 0]


def chart_of(at, mrn=TAKEN):
    (row,) = stored(at, "SELECT id, first_name, last_name, date_of_birth FROM patients WHERE mrn = ?", [mrn])
    return row


def filed_for(at, patient_id):
    """What the chart holds: its screenings and every assessment, to compare before and after."""
    return (stored(at, "SELECT id, answers FROM screenings WHERE patient_id = ? ORDER BY id", [patient_id]),
            stored(at, "SELECT id, instrument, total FROM assessments WHERE patient_id = ? ORDER BY id",
                   [patient_id]))


def buttons(at):
    return [b.label for b in at.button]


def typed_with_a_taken_chart_number(page):
    at = fill(page("pages/screening.py", "nurse"), phq9=TYPED_PHQ9, mrn=TAKEN)
    return click(at, "Save screening")


def test_a_chart_number_alone_offers_only_to_correct_it_or_an_empty_rescreen(page):
    at = typed_with_a_taken_chart_number(page)
    _, first, last, _ = chart_of(at)
    text = all_text(at)
    assert f"Chart number {TAKEN.replace('-', chr(92) + '-')} belongs to someone else" in text
    assert "name or date of birth differ from what you typed" in text
    labels = buttons(at)
    assert "Correct the chart number" in labels
    assert any(label.startswith(f"Start an empty re-screen of {last}, {first}") for label in labels)
    assert not any(label.startswith(("Same person", "Re-screen", "Different person")) for label in labels)
    assert "Save screening" not in labels


@pytest.mark.parametrize("choice", ["Correct the chart number", "Start an empty re-screen"])
def test_nothing_typed_reaches_the_other_patients_chart_whatever_is_clicked(page, choice):
    at = typed_with_a_taken_chart_number(page)
    patient_id = chart_of(at)[0]
    before = filed_for(at, patient_id)
    at = click(at, next(label for label in buttons(at) if label.startswith(choice)))
    for _ in range(3):  # then every save or re-screen the screen offers
        offered = [label for label in buttons(at) if label.startswith(("Save screening", "Same person", "Re-screen"))]
        if not offered:
            break
        at = click(at, offered[0])
        assert not at.exception
    assert filed_for(at, patient_id) == before


def test_an_empty_rescreen_copies_nothing_and_keeps_what_was_typed_for_the_new_person(page):
    at = typed_with_a_taken_chart_number(page)
    patient_id, _, last, born = chart_of(at)
    at = click(at, next(label for label in buttons(at) if label.startswith("Start an empty re-screen")))
    assert not at.exception
    assert at.session_state["form~screening"]["subject"] == patient_id
    assert at.text_input(key=scr(at, "last_name")).value == last
    assert at.text_input(key=scr(at, "date_of_birth")).value == born.isoformat()
    assert all(at.radio(key=scr(at, f"phq9_item{i}")).value is None for i in range(1, 10))
    assert at.number_input(key=scr(at, "systolic_bp")).value is None
    assert "was not copied" in all_text(at)
    resume = next(b for b in at.button if b.label.startswith("Resume the screening of Pagetest, Robin"))
    resume.click()
    at.run()
    assert at.session_state["form~screening"]["subject"] is None
    assert [at.radio(key=scr(at, f"phq9_item{i}")).value for i in range(1, 10)] == TYPED_PHQ9


def test_correcting_the_chart_number_keeps_the_answers_and_saves_a_new_patient(page):
    at = typed_with_a_taken_chart_number(page)
    patient_id = chart_of(at)[0]
    before = filed_for(at, patient_id)
    at = click(at, "Correct the chart number")
    assert at.text_input(key=scr(at, "mrn")).value == ""
    assert at.text_input(key=scr(at, "first_name")).value == "Robin"
    assert at.radio(key=scr(at, "phq9_item1")).value == 3
    at.text_input(key=scr(at, "mrn")).input("PAGE-0142").run()
    at = click(at, "Save screening")
    assert "Screening saved for Pagetest, Robin" in at.success[0].value
    assert filed_for(at, patient_id) == before
    assert stored(at, """SELECT count(*) FROM screenings s JOIN patients p ON p.id = s.patient_id
                         WHERE p.mrn = 'PAGE-0142'""")[0][0] == 1


def test_the_same_name_and_date_of_birth_moves_the_answers_to_that_chart(page):
    """Two identifiers match: it is the same person, whatever chart number was typed."""
    at = page("pages/screening.py", "nurse")
    patient_id, first, last, born = chart_of(at)
    at = fill(at, phq9=TYPED_PHQ9, first_name=first.upper(), last_name=f" {last}", date_of_birth=f"{born:%d.%m.%Y}",
              mrn="PAGE-0009")
    at = click(at, "Save screening")
    assert "already exists" in all_text(at)
    at = click(at, next(label for label in buttons(at) if label.startswith("Same person: re-screen")))
    assert at.session_state["form~screening"]["subject"] == patient_id
    assert at.radio(key=scr(at, "phq9_item1")).value == 3
    assert at.text_input(key=scr(at, "mrn")).value == TAKEN  # the chart's own identity, for review
    at = click(at, "Save screening")
    assert "Screening saved" in at.success[0].value
    (total,) = stored(at, """SELECT total FROM assessments WHERE patient_id = ? AND instrument = 'phq9'
                             ORDER BY id DESC LIMIT 1""", [patient_id])[0]
    assert total == sum(TYPED_PHQ9)


def test_a_chart_corrected_after_the_warning_refuses_the_move(page):
    """The two-identifier check is made again on the click, against the chart as it is then."""
    at = page("pages/screening.py", "nurse")
    patient_id, first, last, born = chart_of(at)
    at = fill(at, phq9=TYPED_PHQ9, first_name=first, last_name=last, date_of_birth=born.isoformat(), mrn="PAGE-0009")
    at = click(at, "Save screening")
    stored(at, "UPDATE patients SET date_of_birth = date_of_birth + INTERVAL 1 DAY WHERE id = ?", [patient_id])
    before = filed_for(at, patient_id)
    at = click(at, next(label for label in buttons(at) if label.startswith("Same person: re-screen")))
    assert "nothing typed was moved to that chart" in all_text(at)
    assert "already exists" not in all_text(at)  # the warning drawn from the chart as it was is gone
    assert at.session_state["form~screening"]["subject"] is None
    assert filed_for(at, patient_id) == before


def test_a_rescreen_from_the_chart_never_takes_the_open_forms_answers(page):
    at = fill(page("pages/screening.py", "nurse"), phq9=TYPED_PHQ9, mrn="PAGE-0077")
    patient_id = chart_of(at)[0]
    at.switch_page("pages/patients.py")
    at.session_state["chosen~patients"] = patient_id
    at.run()
    at = click(at, "Re-screen this patient")
    at.switch_page("pages/screening.py")
    at.run()
    assert at.session_state["form~screening"]["subject"] == patient_id
    assert all(at.radio(key=scr(at, f"phq9_item{i}")).value is None for i in range(1, 10))
    assert any(b.label.startswith("Resume the screening of Pagetest, Robin") for b in at.button)


def rescreen_draft(page):
    """A nurse's unfinished re-screen of DEMO-000142, with answers typed, then a reload."""
    at = page("pages/patients.py", "nurse")
    patient_id = chart_of(at)[0]
    at.session_state["chosen~patients"] = patient_id
    at.run()
    at = click(at, "Re-screen this patient")
    at.switch_page("pages/screening.py")
    at.run()
    at.session_state[scr(at, "phq9_item1")] = 3
    at.run()
    return patient_id


def resume_after_reload(page):
    again = page("pages/screening.py", "nurse")
    resume = next(b for b in again.button if b.label.startswith("Resume the screening of"))
    resume.click()
    return again.run()


def test_a_draft_resumed_after_someone_else_changed_the_charts_identity_is_not_put_back_on_it(page):
    patient_id = rescreen_draft(page)
    prescriber = DEMO_USERS["prescriber"]
    from ui.store import clinic

    con = clinic().con
    record = patients.chart(con, prescriber, patient_id).patient
    corrected = valid_raw(first_name=record["first_name"], last_name=record["last_name"], sex=record["sex"],
                          mrn=record["mrn"], date_of_birth=record["date_of_birth"].replace(year=1990))
    patients.save_screening(con, prescriber, validate_screening(corrected, now=NOW), patient_id, update_identity=True)
    before = filed_for(page("pages/screening.py", "nurse"), patient_id)
    at = resume_after_reload(page)
    assert at.session_state["form~screening"]["subject"] is None
    assert "now has a different name or date of birth" in all_text(at)
    assert at.radio(key=scr(at, "phq9_item1")).value == 3
    at = fill(at, phq9=TYPED_PHQ9, **{k: at.text_input(key=scr(at, k)).value
                                       for k in ("first_name", "last_name", "date_of_birth", "mrn")})
    at = click(at, "Save screening")
    assert "Correct the chart number" in buttons(at)
    assert not any(label.startswith("Same person") for label in buttons(at))
    assert filed_for(at, patient_id) == before


def test_a_draft_resumed_after_someone_else_rescreened_the_patient_says_so(page):
    patient_id = rescreen_draft(page)
    from ui.store import clinic

    con = clinic().con
    record = patients.chart(con, DEMO_USERS["prescriber"], patient_id).patient
    same = valid_raw(first_name=record["first_name"], last_name=record["last_name"], sex=record["sex"],
                     mrn=record["mrn"], date_of_birth=record["date_of_birth"])
    patients.save_screening(con, DEMO_USERS["prescriber"], validate_screening(same, now=NOW), patient_id)
    at = resume_after_reload(page)
    assert at.session_state["form~screening"]["subject"] == patient_id
    assert "Another screening of this patient was saved" in all_text(at)
    assert "Dr Demo Prescriber" in all_text(at)


def test_a_draft_resumed_on_an_unchanged_chart_goes_back_on_it(page):
    patient_id = rescreen_draft(page)
    at = resume_after_reload(page)
    assert at.session_state["form~screening"]["subject"] == patient_id
    assert at.radio(key=scr(at, "phq9_item1")).value == 3
    assert "now has a different name" not in all_text(at)

