"""The administration page: accounts, clinic settings with who and why, and backups; administrators only."""

import pytest

from core import backup, db, users
from core.rules import settings
from tests.pages.conftest import DEMO_USERS, all_text, form_key
from tests.pages.test_screening_pages import click, stored

PAGE = "pages/admin.py"


def add_account(at, **fields):
    """Fill the new-account form with `fields` (role left out unless given) and press Add."""
    for field, value in fields.items():
        at.session_state[form_key(at, "admin_new_account", field)] = value
    return click(at.run(), "Add the account")


CO_SIGNED = {"cosigner": "prescriber", "cosigner_password": "demo-prescriber-2026"}
"""The demo prescriber's co-signature, which every clinical threshold needs (issue 25.1)."""


def save_setting(at, name: str, **fields):
    """Choose setting `name`, type `fields`, a reason and the prescriber's co-signature, and press Save."""
    at.session_state[form_key(at, "admin_setting", "name")] = name
    at = at.run()
    for field, value in {"reason": "Medical director, memo of 30 Nov", **CO_SIGNED, **fields}.items():
        at.session_state[form_key(at, "admin_setting", field)] = value
    return click(at.run(), "Save the setting")


@pytest.mark.parametrize("role", ["prescriber", "nurse", "therapist", "viewer"])
def test_only_administrators_open_it(page, role):
    assert "cannot open Administration" in page(PAGE, role).error[0].value


def test_an_account_is_added_its_role_changed_and_it_is_deactivated(page):
    at = page(PAGE, "admin")
    assert not at.exception
    for field, value in {"username": "sam", "name": "Sam Nurse", "role": "nurse",
                         "password": "a long enough password", "again": "a long enough password"}.items():
        at.session_state[form_key(at, "admin_new_account", field)] = value
    at = click(at.run(), "Add the account")
    assert "Account sam made (Nurse)." in all_text(at)
    (sam,) = stored(at, "SELECT id FROM users WHERE username = 'sam'")[0]
    at.selectbox(key="admin_account").set_value(sam).run()
    at.session_state[form_key(at, "admin_change_account", "role")] = "therapist"
    at = click(at.run(), "Change the role")
    assert "Role changed." in all_text(at)
    at = click(at, "Deactivate the account")
    assert stored(at, "SELECT role, active FROM users WHERE id = ?", [sam]) == [("therapist", False)]


def test_mismatched_passwords_and_no_role_are_refused_and_nothing_is_made(page):
    at = add_account(page(PAGE, "admin"), username="kim", name="Kim", password="a long enough password",
                     again="another long password")
    assert "the two entries are not the same" in all_text(at)
    assert stored(at, "SELECT count(*) FROM users WHERE username = 'kim'") == [(0,)]


def test_a_setting_changes_at_once_with_its_reason_and_a_new_rules_version(page):
    at = page(PAGE, "admin")
    before = settings.current().rules_version
    at.session_state[form_key(at, "admin_setting", "name")] = "older_adult_age"
    at = at.run()
    at.session_state[form_key(at, "admin_setting", "value")] = 70
    at = click(at.run(), "Save the setting")
    assert "Reason for the change\\: say why" in at.error[0].value
    at.session_state[form_key(at, "admin_setting", "reason")] = "Medical director, memo of 30 Nov"
    for field, value in CO_SIGNED.items():
        at.session_state[form_key(at, "admin_setting", field)] = value
    at = click(at.run(), "Save the setting")
    assert "Saved and in force now." in all_text(at)
    assert settings.current().older_adult_age == 70 and settings.current().rules_version != before
    assert "by Demo Administrator, co-signed by Dr Demo Prescriber: Medical director, memo of 30 Nov" in all_text(at)


def test_back_up_now_writes_a_sealed_backup_listed_on_the_page_and_says_where_its_key_is(page, demo_db):
    at = click(page(PAGE, "admin"), "Back up now")
    text = all_text(at)
    assert f"Backup written to {demo_db.parent / 'backups'}" in text  # where, not only its name
    assert f"sealed with the key in {demo_db.parent / 'backup.key'}" in text and "apart from the backups" in text
    (made,) = backup.backups(demo_db.parent / "backups")
    assert backup.sealed(made) and at.dataframe[-1].value["Sealed"].tolist() == ["yes"]
    assert stored(at, "SELECT count(*) FROM audit_log WHERE action = 'backup_made'") == [(1,)]


def test_a_backup_key_others_can_read_is_refused_on_the_page_by_name(page, demo_db):
    key = demo_db.parent / "backup.key"
    key.write_bytes(bytes(32))
    key.chmod(0o644)
    at = click(page(PAGE, "admin"), "Back up now")
    assert f"{key}: the backup key is readable by other accounts" in at.error[0].value.replace("\\", "")
    assert backup.backups(demo_db.parent / "backups") == []
    assert stored(at, "SELECT count(*) FROM audit_log WHERE action = 'backup_made'") == [(0,)]


def test_an_account_without_a_role_is_refused_in_words_not_codes(page):
    """Seen in review: 'Role must be one of: admin, prescriber, nurse, therapist, viewer' on screen."""
    at = add_account(page(PAGE, "admin"), username="lee", name="Lee", password="a long enough password",
                     again="a long enough password")
    shown = all_text(at).replace("\\", "")  # the message is Markdown-escaped for display
    assert "Role: choose one of Administrator, Prescriber, Nurse, Therapist, Viewer (de-identified)" in shown
    assert "admin, prescriber" not in shown
    assert stored(at, "SELECT count(*) FROM users WHERE username = 'lee'") == [(0,)]


def test_settings_are_named_in_words_never_by_their_field_names(page):
    """Seen in review: the table and the picker showed 'small cell min' and 'hold spo2 below'."""
    at = page(PAGE, "admin")
    names = [name for name in settings.DEFAULTS.__dataclass_fields__]
    shown = all_text(at) + "\n".join(at.selectbox(key=form_key(at, "admin_setting", "name")).options)
    assert [name for name in names if name in shown or name.replace("_", " ") in shown] == []
    assert "Smallest group shown to stakeholders (patients)" in shown


def test_a_refused_setting_is_explained_in_words(page):
    at = save_setting(page(PAGE, "admin"), "small_cell_min", value=5)
    message = at.error[0].value
    assert "Smallest group shown to stakeholders" in message and "fewer than 11" in message
    assert "small_cell_min" not in message and "small cell min" not in message


def test_a_list_of_doses_that_is_not_numbers_is_refused_in_words(page):
    at = save_setting(page(PAGE, "admin"), "intranasal_doses_mg", values="28, fifty-six")
    assert "New values\\: whole numbers separated by commas" in at.error[0].value
    assert settings.current().intranasal_doses_mg == settings.DEFAULTS.intranasal_doses_mg


def test_the_backups_tab_says_so_when_the_daily_backup_is_off(page):
    """Seen in review: with the daily backup switched off the tab still promised one a day."""
    text = all_text(page(PAGE, "admin"))
    assert "once a day" not in text
    assert "The daily automatic backup is switched off on this server" in text


def test_the_backups_tab_promises_a_daily_backup_only_when_one_runs(page, monkeypatch):
    monkeypatch.setenv("CLINIC_BACKUPS", "1")
    monkeypatch.setattr(backup, "start_daily", lambda con, folder: None)  # the promise is under test, not the thread
    text = all_text(page(PAGE, "admin"))
    assert "once a day" in text and "switched off" not in text


def test_the_chosen_account_stays_chosen_and_shows_its_new_role_after_a_change(page):
    """Seen in review: after a change the picker kept the old label ('... Nurse'), and the next click cleared it."""
    at = add_account(page(PAGE, "admin"), username="sam", name="Sam Nurse", role="nurse",
                     password="a long enough password", again="a long enough password")
    (sam,) = stored(at, "SELECT id FROM users WHERE username = 'sam'")[0]
    at.selectbox(key="admin_account").set_value(sam).run()
    at.session_state[form_key(at, "admin_change_account", "role")] = "therapist"
    at = click(at.run(), "Change the role")
    picker = at.selectbox(key="admin_account")
    assert picker.value == sam
    assert picker.options == sorted(picker.options, key=str.lower) and "Sam Nurse (sam)" in picker.options
    assert "Role now: **Therapist**. Active." in all_text(at)
    at = click(at, "Deactivate the account")
    assert at.selectbox(key="admin_account").value == sam
    assert "Role now: **Therapist**. Inactive: cannot sign in." in all_text(at)


def test_a_role_change_on_an_account_another_administrator_just_changed_is_refused_in_words(page):
    from core import users
    from ui.store import clinic
    at = add_account(page(PAGE, "admin"), username="sam", name="Sam Nurse", role="nurse",
                     password="a long enough password", again="a long enough password")
    (sam,) = stored(at, "SELECT id FROM users WHERE username = 'sam'")[0]
    at.selectbox(key="admin_account").set_value(sam).run()
    at.session_state[form_key(at, "admin_change_account", "role")] = "therapist"
    at = at.run()  # this screen now shows Sam as an active nurse
    other = users.create_user(clinic().con, users.User(1, "admin", "Demo Administrator", "admin"), "kim",
                              "Kim Admin", "admin", "a long enough password")
    users.set_active(clinic().con, other, sam, False)  # on the other administrator's screen, meanwhile
    at = click(at, "Change the role")
    assert "changed by someone else since you opened it" in at.error[0].value
    assert stored(at, "SELECT role, active FROM users WHERE id = ?", [sam]) == [("nurse", False)]


def test_a_saved_setting_names_itself_and_its_old_and_new_value(page):
    at = save_setting(page(PAGE, "admin"), "older_adult_age", value=70)
    assert "Age from which a patient is an older adult (years): 65 → 70. Saved and in force now." in all_text(at)


def test_a_whole_number_setting_keeps_a_fraction_typed_so_it_can_be_refused(page):
    """Seen in review: 29.5 became 29 on leaving the field and was saved without a word."""
    at = page(PAGE, "admin")
    at.session_state[form_key(at, "admin_setting", "name")] = "pcl5_every_days"
    at = at.run()
    at.number_input(key=form_key(at, "admin_setting", "value")).set_value(29.5)
    at.session_state[form_key(at, "admin_setting", "reason")] = "Medical director, memo of 30 Nov"
    at = click(at.run(), "Save the setting")
    assert "is a whole number" in at.error[0].value


def test_a_stored_setting_that_cannot_be_read_is_named_to_the_administrator_and_the_app_starts(page, demo_db):
    """The app starts on its defaults for that setting, and the administrator reads which one, to set it again."""
    import duckdb

    con = duckdb.connect(str(demo_db))
    con.execute("INSERT INTO clinic_settings VALUES ('small_cell_min', 'NaN', 1, current_localtimestamp())")
    con.close()
    at = page(PAGE, "admin")
    assert not at.exception
    assert settings.current().small_cell_min == settings.DEFAULTS.small_cell_min
    warning = " ".join(w.value for w in at.warning)
    assert "could not be read, so their defaults are in force" in warning
    assert "Smallest group shown to stakeholders (patients) (stored as 'NaN', default 11)" in warning


def test_verify_the_audit_trail_reports_in_words_and_names_a_changed_record(page, demo_db):
    at = click(page(PAGE, "admin"), "Verify the audit trail")
    assert at.success[0].value.startswith("Audit trail verified:")
    assert stored(at, "SELECT count(*) FROM audit_log WHERE action = 'audit_verified'") == [(1,)]
    con = db.connect(demo_db)   # the same file in this process: plain SQL, outside every core function
    con.execute("UPDATE dosing_sessions SET dose_mg = dose_mg + 1 WHERE id = 1")
    con.close()
    at = click(page(PAGE, "admin"), "Verify the audit trail")
    assert at.error[0].value.startswith("Audit trail NOT verified: 1 problem(s)")
    assert "Dosing sessions 1 to" in " ".join(t.value for t in at.get("text"))


def test_a_clinical_threshold_asks_for_the_prescriber_and_is_refused_without_them(page):
    """Issue 25.1: an administrator alone set the screening limit to 400 mmHg and it went into force."""
    at = save_setting(page(PAGE, "admin"), "uncontrolled_systolic", value=170, cosigner="", cosigner_password="")
    assert "Prescriber's username" in [t.label for t in at.text_input]
    assert "a clinical threshold needs a prescriber's username and password" in at.error[0].value
    assert settings.current().uncontrolled_systolic == 160
    assert form_key(at, "admin_setting", "value") in at.session_state  # what was typed is kept


def test_400_mmhg_is_refused_naming_the_setting_and_its_range(page):
    at = save_setting(page(PAGE, "admin"), "uncontrolled_systolic", value=400)
    assert ("Screening systolic pressure that rules treatment out (mmHg, at or above): must be between 140 and 200 "
            "mmHg; got 400") in at.error[0].value.replace("\\", "")
    assert "Plausible range: between 140 and 200 mmHg." in all_text(at)
    assert settings.current().uncontrolled_systolic == 160
    assert at.session_state[form_key(at, "admin_setting", "cosigner_password")] == ""  # never outlives the attempt
    assert at.session_state[form_key(at, "admin_setting", "cosigner")] == "prescriber"


def test_a_co_signed_change_shows_both_names_and_the_audit_keeps_both(page):
    at = save_setting(page(PAGE, "admin"), "uncontrolled_systolic", value=170)
    assert [e.value for e in at.error] == []
    assert "Saved and in force now." in all_text(at)
    ((detail,),) = stored(at, "SELECT detail FROM audit_log WHERE action = 'setting_changed'")
    assert '"cosigned_by": "Dr Demo Prescriber (prescriber)"' in detail


def test_a_setting_that_decides_nothing_clinical_asks_for_no_co_signature(page):
    at = page(PAGE, "admin")
    at.session_state[form_key(at, "admin_setting", "name")] = "small_cell_min"
    at = at.run()
    assert "Prescriber's username" not in [t.label for t in at.text_input]


def test_a_new_account_with_several_problems_names_them_all_in_one_refusal(page):
    """Issue 25.11: five problems took five clicks, one message each."""
    at = add_account(page(PAGE, "admin"), username="sam smith", password="short", again="other")
    message = at.error[0].value.replace("\\", "")
    for words in ("Username:", "Name shown on screen:", "Role: choose one", "Password must be at least",
                  "Password again: the two entries are not the same"):
        assert words in message, words
    assert len(at.error) == 1


def lock_the_demo_nurse(store):
    for _ in range(5):
        assert users.authenticate(store, "nurse", "a wrong password") is None
    store.close()


def test_a_locked_account_is_shown_and_the_administrator_unlocks_it(page, demo_store):
    """Issue 25.12: a nurse locked out by five mistyped passwords waited 15 minutes; the administrator now sees who
    is locked and until when, and unlocks (audited)."""
    lock_the_demo_nurse(demo_store)
    at = page(PAGE, "admin")
    assert not at.exception
    text = all_text(at).replace("\\", "")  # the names are escaped as markdown
    assert "Demo Nurse (nurse): locked after 5 failed sign-ins; it opens by itself at" in text
    at = click(at, "Unlock Demo Nurse (nurse)")
    assert "Demo Nurse (nurse) is unlocked and can sign in now." in all_text(at)
    assert stored(at, "SELECT actor_id, entity_id FROM audit_log WHERE action = 'account_unlocked'") == [(1, 3)]
    assert "No account is locked." in all_text(at)
    assert not any(b.label.startswith("Unlock") for b in at.button)


def test_an_unlock_clicked_after_another_administrator_unlocked_says_so_and_writes_nothing(page, demo_store):
    lock_the_demo_nurse(demo_store)
    at = page(PAGE, "admin")
    users.unlock(clinic_store(), DEMO_USERS["admin"], 3)  # another administrator, meanwhile
    at = click(at, "Unlock Demo Nurse (nurse)")
    assert "Demo Nurse (nurse) is not locked (any more): nothing to unlock" in at.error[0].value.replace("\\", "")
    assert stored(at, "SELECT count(*) FROM audit_log WHERE action = 'account_unlocked'") == [(1,)]


def test_no_locked_account_is_said_in_words(page):
    at = page(PAGE, "admin")
    assert "No account is locked." in all_text(at)


def clinic_store():
    from ui.store import clinic

    return clinic().con
