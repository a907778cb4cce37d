"""Free text where the lists end (issue 25.7), on the screening page and in the saved record."""

from tests.pages.conftest import all_text
from tests.pages.test_screening_pages import click, fill, stored


def test_a_medicine_written_in_words_makes_the_live_result_needs_review_and_is_saved(page):
    at = fill(page("pages/screening.py", "nurse"), other_substances=["cannabis"], other_substances_text="kratom",
              medications_other="phenelzine (Nardil)")
    text = all_text(at)
    assert "Screening result if saved now: **Needs review**" in text
    assert "not read by the rules" in text and "phenelzine" in text
    at = click(at, "Save screening")
    assert "Screening saved for Pagetest, Robin: Needs review" in at.success[0].value
    (answers,) = stored(at, "SELECT s.answers FROM screenings s JOIN patients p ON p.id = s.patient_id "
                            "WHERE p.mrn = 'PAGE-0001'")[0]
    assert "phenelzine (Nardil)" in answers and "kratom" in answers and "cannabis" in answers


def test_a_word_entry_that_is_too_long_is_named_under_its_field_and_kept(page):
    at = fill(page("pages/screening.py", "nurse"), conditions_other="x" * 501)
    at = click(at, "Save screening")
    assert any("Other conditions is too long" in e.value for e in at.error)
    assert not stored(at, "SELECT 1 FROM patients WHERE mrn = 'PAGE-0001'")
