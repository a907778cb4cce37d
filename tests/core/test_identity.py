"""Two identifiers before a form changes hands: the rule at and around its edges, and core's check of the chart."""

from datetime import date

import pytest

from core import patients
from core.rules.identity import SOURCE, Person, differences, same_person
from tests.core.test_rescreen_safety_drafts import save
from tests.core.test_screening_and_approval import NURSE

CHART = Person("Eli", "Dummyford", date(1994, 11, 27))


@pytest.mark.parametrize("typed", [
    Person("Eli", "Dummyford", "1994-11-27"),
    Person("eli", "DUMMYFORD", "27.11.1994"),
    Person("  Eli ", "Dummyford  ", "27/11/1994"),
    Person("Eli", "Dummyford", date(1994, 11, 27)),
])
def test_the_same_name_and_date_of_birth_is_the_same_person(typed):
    assert same_person(typed, CHART)
    assert differences(typed, CHART) == ()


@pytest.mark.parametrize(("typed", "different"), [
    (Person("Mara", "Newcombe", "1990-05-02"), ("name", "date of birth")),   # the case: chart number only
    (Person("Eli", "Dummyford", "1994-11-28"), ("date of birth",)),          # one day off
    (Person("Eli", "Dummyforde", "1994-11-27"), ("name",)),                  # one letter off
    (Person("Dummyford", "Eli", "1994-11-27"), ("name",)),                   # first and last swapped
    (Person("Eli", "", "1994-11-27"), ("name",)),                            # a name not typed
    (Person(None, None, None), ("name", "date of birth")),
    (Person("Eli", "Dummyford", "27 Nov"), ("date of birth",)),              # not a date at all
    (Person("Eli", "Dummyford", ""), ("date of birth",)),
])
def test_one_differing_identifier_is_not_the_same_person(typed, different):
    assert not same_person(typed, CHART)
    assert differences(typed, CHART) == different


def test_names_compare_as_written_not_as_stored_bytes():
    composed, decomposed = "Zo\u00eb", "Zoe\u0308"   # the same letter typed two ways
    assert same_person(Person(decomposed, "Ngata", "2000-01-01"), Person(composed, "Ngata", date(2000, 1, 1)))
    assert same_person(Person("Mary  Ann", "Ngata", "2000-01-01"), Person("Mary Ann", "Ngata", date(2000, 1, 1)))


def test_the_rule_names_its_source():
    assert "Joint Commission" in SOURCE and "two patient identifiers" in SOURCE


def test_core_refuses_to_move_a_form_to_a_chart_of_someone_else(demo_store):
    target = save(demo_store)
    typed = Person("Mara", "Newcombe", "1990-05-02")
    with pytest.raises(patients.NotSamePerson, match="name and the date of birth typed differ"):
        patients.confirm_same_person(demo_store, NURSE, target.patient_id, typed)
    patients.confirm_same_person(demo_store, NURSE, target.patient_id, Person("robin", "O'TESTCASE", "14.03.1988"))


def test_duplicates_say_whether_the_typed_person_is_that_patient(demo_store):
    first = save(demo_store)
    with pytest.raises(patients.DuplicatesFound) as by_chart_number:
        save(demo_store, mrn="NEW-0001", first_name="Mara", last_name="Newcombe")
    assert [(d["id"], d["same_chart_number"], d["same_person"]) for d in by_chart_number.value.duplicates] \
        == [(first.patient_id, True, False)]
    with pytest.raises(patients.DuplicatesFound) as by_name_and_birth:
        save(demo_store, mrn="NEW-0002")
    assert [(d["id"], d["same_chart_number"], d["same_person"]) for d in by_name_and_birth.value.duplicates] \
        == [(first.patient_id, False, True)]


def test_a_rescreen_saved_after_someone_else_corrected_the_chart_is_refused_whole(demo_store):
    """The chart as the re-screen found it is checked in the saving transaction: a correction made meanwhile is
    never undone, and nothing of the re-screen is stored."""
    first = save(demo_store)
    opened_as = {"first_name": "Robin", "last_name": "O'Testcase", "date_of_birth": date(1988, 3, 14),
                 "sex": "female", "mrn": "NEW-0001"}
    save(demo_store, patient_id=first.patient_id, mrn="NEW-0001-B", update_identity=True)  # someone else
    screenings = demo_store.execute("SELECT count(*) FROM screenings WHERE patient_id = ?",
                                    [first.patient_id]).fetchone()
    with pytest.raises(patients.ChartChanged) as changed:
        save(demo_store, patient_id=first.patient_id, update_identity=True, opened_as=opened_as)
    assert (changed.value.fields, changed.value.same_person) == (("mrn",), True)
    assert demo_store.execute("SELECT mrn FROM patients WHERE id = ?", [first.patient_id]).fetchone() == ("NEW-0001-B",)
    assert demo_store.execute("SELECT count(*) FROM screenings WHERE patient_id = ?",
                              [first.patient_id]).fetchone() == screenings
    save(demo_store, patient_id=first.patient_id, mrn="NEW-0001-B", opened_as={**opened_as, "mrn": "NEW-0001-B"})


def test_a_chart_renamed_meanwhile_is_no_longer_the_same_person(demo_store):
    first = save(demo_store)
    opened_as = {"first_name": "Robin", "last_name": "O'Testcase", "date_of_birth": date(1988, 3, 14)}
    save(demo_store, patient_id=first.patient_id, first_name="Robyn", update_identity=True)
    with pytest.raises(patients.ChartChanged) as changed:
        save(demo_store, patient_id=first.patient_id, first_name="Robyn", opened_as=opened_as)
    assert (changed.value.fields, changed.value.same_person) == (("first_name",), False)
