"""Free text where the lists end (issue 25.7): other substances, conditions and medications a list does not hold are
written in words; the eligibility rules read only the listed items, and a decision says so whenever words were
written where a rule might have fired."""

import pytest

from core.rules.eligibility import evaluate
from core.screening_form import OTHER_SUBSTANCES, validate_screening
from tests.core.test_eligibility import codes, intake
from tests.core.test_screening_and_approval import NOW, errors_of, valid_raw


@pytest.mark.parametrize("field", ["conditions_other", "medications_other"])
def test_words_the_rules_cannot_read_ask_for_review_and_quote_them(field):
    d = evaluate(intake(**{field: "lamotrigine 100 mg"}))
    assert d.status == "needs_review" and codes(d, "review") == {"uncoded_entries"}
    (reason,) = d.reasons
    assert "lamotrigine 100 mg" in reason.message and "not read by the rules" in reason.message
    assert reason.source


@pytest.mark.parametrize("blank", ["", "   ", None])
def test_nothing_written_changes_nothing(blank):
    d = evaluate(intake(conditions_other=blank, medications_other=blank))
    assert (d.status, d.reasons) == ("eligible", [])


def test_an_intake_saved_before_the_fields_existed_still_evaluates():
    assert evaluate(intake()).status == "eligible"


def test_a_hard_stop_still_wins_over_words():
    d = evaluate(intake(conditions={"psychosis"}, medications_other="clozapine"))
    assert d.status == "ineligible" and codes(d) == {"psychosis", "uncoded_entries"}


def test_the_other_substances_list_holds_the_common_ones_beyond_the_four():
    assert {"benzodiazepines", "cannabis", "nicotine", "other_stimulants"} <= set(OTHER_SUBSTANCES)
    s = validate_screening(valid_raw(other_substances=["cannabis", "nicotine"],
                                     other_substances_text="kratom", conditions_other="asthma",
                                     medications_other="salbutamol inhaler"), now=NOW)
    assert s.details["other_substances"] == ["cannabis", "nicotine"]
    assert s.details["other_substances_text"] == "kratom"
    assert (s.intake["conditions_other"], s.intake["medications_other"]) == ("asthma", "salbutamol inhaler")
    assert evaluate(s.intake).status == "needs_review"


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"other_substances": ["glue"]}, "other_substances", "Other substances"),
    ({"other_substances_text": "x" * 501}, "other_substances_text", "too long"),
    ({"conditions_other": "x" * 501}, "conditions_other", "too long"),
    ({"medications_other": 7}, "medications_other", "Other current medications"),
])
def test_bad_entries_are_named(changes, field, words):
    errors = errors_of(valid_raw(**changes))
    assert field in errors and words in errors[field]
