import re

import pytest

from core import clinic_settings, users
from core.access import AccessDenied
from core.rules.settings import DEFAULTS, DoseBand

WHY = "Medical director's decision of 30 Nov 2026"


@pytest.fixture
def admin(empty_store):
    return users.create_first_admin(empty_store, "ad", "Admin", "admin password 1")


@pytest.fixture
def prescriber(empty_store, admin):
    """Co-signs every clinical threshold below (issue 25.1)."""
    return users.create_user(empty_store, admin, "doc", "Dr Doc", "prescriber", "prescriber password 1")


SIGNED = clinic_settings.Cosignature("doc", "prescriber password 1")


def test_no_overrides_gives_defaults(empty_store):
    assert clinic_settings.load(empty_store) == DEFAULTS


def test_override_is_stored_audited_and_changes_the_rules_version(empty_store, admin, prescriber):
    updated = clinic_settings.save(empty_store, admin, "older_adult_age", 70, WHY, SIGNED)
    clinic_settings.save(empty_store, admin, "dose_iv", DoseBand(0.1, 0.75, 1.0), WHY, SIGNED)
    loaded = clinic_settings.load(empty_store)
    assert loaded.older_adult_age == 70 and loaded.dose_iv == DoseBand(0.1, 0.75, 1.0)
    assert updated.rules_version != DEFAULTS.rules_version != loaded.rules_version
    (count,) = empty_store.execute("SELECT count(*) FROM audit_log WHERE action = 'setting_changed'").fetchone()
    assert count == 2


def test_invalid_override_is_refused_and_not_stored(empty_store, admin, prescriber):
    with pytest.raises(ValueError, match="must be below the systolic pressure that rules treatment out"):
        clinic_settings.save(empty_store, admin, "elevated_systolic", 170, WHY, SIGNED)
    with pytest.raises(ValueError, match="Unknown setting"):
        clinic_settings.save(empty_store, admin, "nonsense", 1, WHY, SIGNED)
    with pytest.raises(ValueError, match="Reason for the change: say why"):
        clinic_settings.save(empty_store, admin, "older_adult_age", 70, "because")
    assert clinic_settings.load(empty_store) == DEFAULTS


def test_only_admin_changes_settings(empty_store, admin, prescriber):
    nurse = users.create_user(empty_store, admin, "n", "Nurse", "nurse", "nurse password 1")
    with pytest.raises(AccessDenied):
        clinic_settings.save(empty_store, nurse, "older_adult_age", 70, WHY, SIGNED)


def test_who_when_and_why_are_kept_for_each_change(empty_store, admin, prescriber):
    clinic_settings.save(empty_store, admin, "older_adult_age", 70, WHY, SIGNED)
    who, why, at = clinic_settings.overrides(empty_store)["older_adult_age"]
    assert (who, why) == ("Admin, co-signed by Dr Doc", WHY) and at is not None


@pytest.mark.parametrize(("name", "value", "words"), [
    ("small_cell_min", 1, "fewer than 11"),
    ("small_cell_min", 10, "fewer than 11"),
    ("weight_change_warn_fraction", 5, "below 1"),
    ("phq9_response_drop", 3, "below 1"),
    ("hold_systolic_above", 250, "below the systolic pressure that refuses"),
    ("hold_diastolic_above", 110, "below the diastolic pressure that refuses"),
])
def test_a_setting_that_would_undo_a_safeguard_is_refused(empty_store, admin, prescriber, name, value, words):
    """Seen in review: a small-cell limit of 1 switched the viewer's protection off, a hold above the refusal
    limit made the hold unreachable, and a share of 5 was saved; each was 'in force now'."""
    with pytest.raises(ValueError, match=words):
        clinic_settings.save(empty_store, admin, name, value, WHY, SIGNED)
    assert clinic_settings.load(empty_store) == DEFAULTS


def test_a_clinic_may_suppress_larger_groups(empty_store, admin, prescriber):
    assert clinic_settings.save(empty_store, admin, "small_cell_min", 20, WHY, SIGNED).small_cell_min == 20


@pytest.mark.parametrize(("name", "typed", "words"), [
    ("intranasal_doses_mg", {"numbers": "28, fifty-six"}, "New values: whole numbers separated by commas"),
    ("intranasal_doses_mg", {"numbers": " , "}, "New values: whole numbers separated by commas"),
    ("dose_iv", {"low": 0.1, "high": None, "maximum": 1.0}, "Usual band to: enter a number"),
    ("older_adult_age", {"number": 70.5}, "Age from which a patient is an older adult \\(years\\) is a whole number"),
    ("older_adult_age", {}, "New value: enter a number"),
    (None, {"number": 3}, "Setting: choose one"),
])
def test_what_an_administrator_types_is_refused_in_words(name, typed, words):
    """Seen in review: 'abc' in the list of doses surfaced Python's own 'invalid literal for int()'."""
    with pytest.raises(ValueError, match=words):
        clinic_settings.typed(name, **typed)


def test_what_an_administrator_types_becomes_the_setting_s_own_type():
    assert clinic_settings.typed("intranasal_doses_mg", numbers="28, 56,84") == (28, 56, 84)
    assert clinic_settings.typed("dose_im", low=0.2, high=2, maximum=2.5) == DoseBand(0.2, 2.0, 2.5)
    assert clinic_settings.typed("older_adult_age", number=70.0) == 70
    assert clinic_settings.typed("phq9_response_drop", number=0.6) == 0.6


@pytest.mark.parametrize(("name", "value"), [
    ("dose_iv", None), ("small_cell_min", float("nan")), ("older_adult_age", float("inf")),
    ("intranasal_doses_mg", ()), ("older_adult_age", "70"), ("older_adult_age", True), ("dose_iv", {"low": 0.1}),
    ("older_adult_age", 10**30), ("small_cell_min", float("inf")), ("small_cell_min", None), ("small_cell_min", ""),
    ("small_cell_min", 10.5),
])
def test_a_setting_is_never_stored_empty_nan_infinite_or_of_another_kind(empty_store, admin, prescriber, name, value):
    """Seen in fuzzing: None stored for a dose band (after which every start failed) and NaN for the small-cell
    threshold (which switched suppression off)."""
    with pytest.raises(ValueError, match=re.escape(DEFAULTS.label(name))):
        clinic_settings.save(empty_store, admin, name, value, WHY, SIGNED)
    assert empty_store.execute("SELECT count(*) FROM clinic_settings").fetchone() == (0,)


def stored_as(con, admin, name: str, raw: str) -> None:
    """What an older version or a damaged file may have left in the table."""
    con.execute("INSERT OR REPLACE INTO clinic_settings VALUES (?, ?, ?, current_localtimestamp())",
                [name, raw, admin.id])


def test_a_stored_setting_that_cannot_be_read_falls_back_to_its_default_and_is_named(empty_store, admin, prescriber):
    clinic_settings.save(empty_store, admin, "older_adult_age", 70, WHY, SIGNED)
    for name, raw in (("dose_iv", "null"), ("small_cell_min", "NaN"), ("pcl5_every_days", "{not json"),
                      ("intranasal_doses_mg", '"many"')):
        stored_as(empty_store, admin, name, raw)
    loaded = clinic_settings.load(empty_store)
    assert loaded == DEFAULTS.changed(older_adult_age=70)
    assert clinic_settings.unreadable(empty_store) == {"dose_iv": "null", "small_cell_min": "NaN",
                                                       "pcl5_every_days": "{not json",
                                                       "intranasal_doses_mg": '"many"'}
    clinic_settings.save(empty_store, admin, "dose_iv", DoseBand(0.1, 0.7, 1.0), WHY, SIGNED)
    assert "dose_iv" not in clinic_settings.unreadable(empty_store)


def test_an_override_that_no_longer_fits_the_others_is_the_one_left_out(empty_store, admin, prescriber):
    """Each override is checked against the others when saved; one changed behind the app's back since (a hold now
    above the refusal) is left out, and those that need each other stay in force together."""
    clinic_settings.save(empty_store, admin, "uncontrolled_systolic", 170, WHY, SIGNED)
    clinic_settings.save(empty_store, admin, "elevated_systolic", 165, WHY, SIGNED)
    stored_as(empty_store, admin, "hold_systolic_above", "250")
    loaded = clinic_settings.load(empty_store)
    assert (loaded.uncontrolled_systolic, loaded.elevated_systolic) == (170, 165)
    assert loaded.hold_systolic_above == DEFAULTS.hold_systolic_above
    assert clinic_settings.unreadable(empty_store) == {"hold_systolic_above": "250"}


# Issue 25.1: every threshold within a plausible range, and a clinical one co-signed by a prescriber


def test_a_screening_limit_of_400_mmhg_is_refused_in_words_naming_the_setting(empty_store, admin, prescriber):
    """Seen in use: an administrator set the systolic pressure that rules treatment out to 400 mmHg."""
    label = re.escape(DEFAULTS.label("uncontrolled_systolic"))
    with pytest.raises(ValueError, match=rf"{label}: must be between 140 and 200 mmHg; got 400"):
        clinic_settings.save(empty_store, admin, "uncontrolled_systolic", 400, WHY, SIGNED)
    assert empty_store.execute("SELECT count(*) FROM clinic_settings").fetchone() == (0,)


def test_a_clinical_threshold_without_a_prescriber_s_co_signature_is_refused_and_not_stored(empty_store, admin):
    with pytest.raises(ValueError, match="Prescriber's co-signature: a clinical threshold needs"):
        clinic_settings.save(empty_store, admin, "older_adult_age", 70, WHY)
    assert clinic_settings.load(empty_store) == DEFAULTS


@pytest.mark.parametrize("signature", [
    clinic_settings.Cosignature("doc", "not the password"),
    clinic_settings.Cosignature("nobody", "prescriber password 1"),
    clinic_settings.Cosignature("ad", "admin password 1"),  # the administrator is no prescriber
])
def test_a_wrong_or_non_prescriber_co_signature_is_refused(empty_store, admin, prescriber, signature):
    with pytest.raises(ValueError, match="Prescriber's co-signature: the username or password is not right"):
        clinic_settings.save(empty_store, admin, "older_adult_age", 70, WHY, signature)
    assert clinic_settings.load(empty_store) == DEFAULTS


def test_a_co_signed_change_records_the_administrator_and_the_prescriber(empty_store, admin, prescriber):
    clinic_settings.save(empty_store, admin, "older_adult_age", 70, WHY, SIGNED)
    (actor, detail), = empty_store.execute(
        "SELECT actor_id, detail FROM audit_log WHERE action = 'setting_changed'").fetchall()
    assert actor == admin.id
    assert '"cosigned_by": "Dr Doc (doc)"' in detail and f'"cosigner_id": {prescriber.id}' in detail
    who, why, _at = clinic_settings.overrides(empty_store)["older_adult_age"]
    assert (who, why) == ("Admin, co-signed by Dr Doc", WHY)


def test_a_setting_that_decides_nothing_clinical_needs_no_co_signature(empty_store, admin):
    assert clinic_settings.save(empty_store, admin, "small_cell_min", 20, WHY).small_cell_min == 20
    assert not DEFAULTS.clinical("small_cell_min") and not DEFAULTS.clinical("clinic_pseudonym")
    assert DEFAULTS.clinical("uncontrolled_systolic") and DEFAULTS.clinical("dose_iv")
