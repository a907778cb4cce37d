import contextlib
import json
import threading
from datetime import datetime, timedelta

import pytest
from argon2 import PasswordHasher

from core import audit_log, users, worklist
from core.access import AccessDenied, User

DEMO_VIEWER = User(5, "viewer", "Demo Stakeholder", "viewer")


@pytest.fixture
def admin(empty_store):
    return users.create_first_admin(empty_store, "ad", "Admin", "admin password 1")


@pytest.fixture
def nurse(empty_store, admin):
    return users.create_user(empty_store, admin, "jo", "Jo Nurse", "nurse", "correct horse battery")


def audit_actions(con):
    return [row[0] for row in con.execute("SELECT action FROM audit_log ORDER BY id").fetchall()]


def test_right_password_signs_in_and_is_audited(empty_store, nurse):
    assert users.authenticate(empty_store, "jo", "correct horse battery") == nurse
    assert audit_actions(empty_store)[-1] == "sign_in"


def test_username_is_not_case_sensitive(empty_store, nurse):
    assert users.authenticate(empty_store, " JO ", "correct horse battery") == nurse


@pytest.mark.parametrize(("username", "password"), [("jo", "wrong password!"), ("nobody", "correct horse battery"),
                                                    ("jo", "")])
def test_wrong_credentials_fail_and_are_audited(empty_store, nurse, username, password):
    assert users.authenticate(empty_store, username, password) is None
    assert audit_actions(empty_store)[-1] == "sign_in_failed"


def test_deactivated_user_cannot_sign_in(empty_store, admin, nurse):
    users.set_active(empty_store, admin, nurse.id, False)
    assert users.authenticate(empty_store, "jo", "correct horse battery") is None
    detail = empty_store.execute("SELECT detail FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert "inactive" in detail


def test_password_is_stored_as_an_argon2id_hash(empty_store, nurse):
    (stored,) = empty_store.execute("SELECT password_hash FROM users WHERE id = ?", [nurse.id]).fetchone()
    assert stored != "correct horse battery" and "correct horse battery" not in stored
    assert stored.startswith("$argon2id$")


def test_no_audit_row_holds_the_password(empty_store, nurse):
    users.authenticate(empty_store, "jo", "a wrong secret")
    rows = empty_store.execute("SELECT detail FROM audit_log").fetchall()
    assert not any("secret" in r[0] or "battery" in r[0] for r in rows)


def test_short_password_and_duplicate_username_are_refused(empty_store, admin, nurse):
    with pytest.raises(ValueError, match="at least 10"):
        users.create_user(empty_store, admin, "sam", "Sam", "nurse", "short")
    with pytest.raises(ValueError, match="already taken"):
        users.create_user(empty_store, admin, "JO", "Jo again", "nurse", "another long password")


@pytest.mark.parametrize(("username", "name", "words"), [
    ("sam smith", "Sam Smith", "Username: letters, digits"),
    ("sam\u202e", "Sam", "Username: letters, digits"),
    ("", "Sam", "Username: letters, digits"),
    ("s" * 33, "Sam", "at most 32"),
    ("sam", "   ", "Name shown on screen: enter the person's name"),
    ("sam", "Sam\nSmith", "Name shown on screen: letters and spaces"),
    ("sam", "S" * 81, "at most 80"),
])
def test_an_account_needs_a_plain_username_and_a_name(empty_store, admin, username, name, words):
    """Seen in review: 'sam smith' was made (and cannot be told apart from 'sam' at a glance), and a blank name
    left the username to sign every record."""
    with pytest.raises(ValueError, match=words):
        users.create_user(empty_store, admin, username, name, "nurse", "a long enough password")
    assert empty_store.execute("SELECT count(*) FROM users").fetchone() == (1,)


def test_a_name_may_hold_accents_hyphens_and_apostrophes(empty_store, admin):
    made = users.create_user(empty_store, admin, "chloe.o-brien", "Dr Chloé O'Brien-Núñez", "nurse",
                             "a long enough password")
    assert made.display_name == "Dr Chloé O'Brien-Núñez"


def test_only_an_admin_creates_accounts(empty_store, nurse):
    with pytest.raises(AccessDenied):
        users.create_user(empty_store, nurse, "sam", "Sam", "nurse", "a long enough password")


def test_cli_creates_the_first_admin(tmp_path, monkeypatch, capsys):
    answers = iter(["first admin password", "first admin password"])
    monkeypatch.setattr(users.getpass, "getpass", lambda prompt: next(answers))
    path = tmp_path / "real.duckdb"
    assert users.main(["add", "alex", "--role", "admin", "--db", str(path)]) == 0
    assert "Created admin account alex" in capsys.readouterr().out


def test_cli_reports_a_bad_path_without_a_traceback(tmp_path, capsys):
    assert users.main(["add", "alex", "--role", "admin", "--db", str(tmp_path / "no" / "x.duckdb")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_identified_worklist_and_audit_are_enforced_in_core(demo_store):
    viewer = User(99, "v", "Viewer", "viewer")
    nurse = User(98, "n", "Nurse", "nurse")
    with pytest.raises(AccessDenied):
        worklist.attention(demo_store, viewer)
    with pytest.raises(AccessDenied):
        audit_log.page(demo_store, nurse)
    assert worklist.attention_counts(demo_store, DEMO_VIEWER).pending_approvals >= 0


def test_cli_adds_later_accounts_only_for_an_admin(tmp_path, monkeypatch, capsys):
    path = tmp_path / "real.duckdb"
    answers = iter(["first admin password"] * 2)
    monkeypatch.setattr(users.getpass, "getpass", lambda prompt: next(answers))
    assert users.main(["add", "alex", "--role", "admin", "--db", str(path)]) == 0
    answers = iter(["sam's new password"] * 2)
    assert users.main(["add", "sam", "--role", "nurse", "--db", str(path)]) == 1
    assert "--by ADMIN" in capsys.readouterr().err
    answers = iter(["first admin password", "sam's new password", "sam's new password"])
    assert users.main(["add", "sam", "--role", "nurse", "--by", "alex", "--db", str(path)]) == 0
    assert "Created nurse account sam" in capsys.readouterr().out


ADMIN = User(1, "admin", "Demo Administrator", "admin")


def test_the_audit_trail_pages_back_to_its_first_entry(demo_store):
    for _ in range(7):
        users.authenticate(demo_store, "nurse", "wrong password")
    (total,) = demo_store.execute("SELECT count(*) FROM audit_log").fetchone()
    seen, cursor = [], None
    while True:
        page = audit_log.page(demo_store, ADMIN, before_id=cursor, limit=3)
        seen += list(page.rows["id"])
        if page.older is None:
            break
        cursor = page.older
    assert seen == sorted(seen, reverse=True) and len(seen) == total == len(set(seen))
    failed = audit_log.page(demo_store, ADMIN, action="sign_in_failed", limit=5)
    assert set(failed.rows["action"]) == {"sign_in_failed"} and failed.older is not None


# Lockout and throttling

RIGHT = "correct horse battery"


def fail(con, username="jo", times=1):
    for _ in range(times):
        assert users.authenticate(con, username, "a wrong password") is None


def test_five_failures_lock_the_account_even_against_the_right_password(empty_store, nurse):
    fail(empty_store, times=4)
    assert users.authenticate(empty_store, "jo", RIGHT) == nurse  # four failures do not lock; success resets
    fail(empty_store, times=5)
    assert "account_locked" in audit_actions(empty_store)
    assert users.authenticate(empty_store, "jo", RIGHT) is None
    detail = empty_store.execute("SELECT detail FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert detail == '{"reason": "locked"}'


def test_a_lock_ends_after_15_minutes_and_locked_attempts_do_not_extend_it(empty_store, nurse):
    fail(empty_store, times=5)
    fail(empty_store, times=3)  # while locked
    empty_store.execute("UPDATE audit_log SET occurred_at = occurred_at - INTERVAL 16 MINUTE "
                        "WHERE action = 'sign_in_failed' AND detail <> '{\"reason\": \"locked\"}'")
    assert users.authenticate(empty_store, "jo", RIGHT) == nurse


def test_the_message_is_the_same_for_a_locked_an_unknown_and_a_wrong_sign_in(empty_store, nurse):
    assert "locked for 15 minutes" in users.SIGN_IN_FAILED
    fail(empty_store, "nobody", times=7)
    assert "account_locked" not in audit_actions(empty_store)   # nothing to lock, and nothing revealed


def test_six_strangers_trying_invented_usernames_do_not_keep_a_nurse_out(empty_store, nurse):
    """Seen in use: six people trying invented usernames tripped the clinic-wide throttle, and every nurse was turned
    away for a minute. Each stranger is slowed at their own address; the nurse at hers signs in."""
    for stranger in range(6):
        for attempt in range(10):
            with contextlib.suppress(users.SignInBusy):
                assert users.authenticate(empty_store, f"guess{attempt}", "a guess",
                                          source=f"10.0.0.{100 + stranger}") is None
    assert users.authenticate(empty_store, "jo", RIGHT, source="10.0.0.7") == nurse


def test_a_stranger_is_turned_away_at_their_own_address_before_hashing(empty_store, nurse, monkeypatch):
    fail_from = "10.0.0.66"
    for attempt in range(users.SOURCE_FAILURES_PER_MINUTE):
        assert users.authenticate(empty_store, f"guess{attempt}", "a guess", source=fail_from) is None
    hashed = []
    monkeypatch.setattr(users, "_matches", lambda *a: hashed.append(1) or False)
    with pytest.raises(users.SignInBusy, match="Too many failed sign-ins from this computer"):
        users.authenticate(empty_store, "jo", RIGHT, source=fail_from)
    assert hashed == []
    assert users.authenticate(empty_store, "jo", "a wrong password", source="10.0.0.7") is None
    assert hashed == [1]  # another address is checked as usual
    (detail,) = empty_store.execute("SELECT detail FROM audit_log WHERE action = 'sign_in_failed' "
                                    "ORDER BY id LIMIT 1").fetchone()
    assert json.loads(detail) == {"reason": "credentials", "source": fail_from}


def test_guesses_at_one_account_from_many_addresses_lock_that_account_only(empty_store, admin, nurse):
    """The per-account lock still holds whoever tries: the attacker gains nothing by changing address, and the
    message stays the one an unknown user gets."""
    for attempt in range(users.LOCK_AFTER_FAILURES):
        assert users.authenticate(empty_store, "jo", "a wrong password", source=f"10.0.1.{attempt}") is None
    assert users.authenticate(empty_store, "jo", RIGHT, source="10.0.0.7") is None
    assert users.authenticate(empty_store, "ad", "admin password 1", source="10.0.0.7") == admin


def test_only_a_few_hashes_run_at_once(empty_store, nurse, monkeypatch):
    monkeypatch.setattr(users, "HASH_WAIT_SECONDS", 0.2)
    release, inside = threading.Event(), threading.Semaphore(0)
    busy = []

    def slow_hash(*_args):
        inside.release()
        release.wait(5)
        return False

    monkeypatch.setattr(users, "_matches", slow_hash)
    workers = [threading.Thread(target=lambda: users.authenticate(empty_store, "jo", "x")) for _ in range(2)]
    for w in workers:
        w.start()
    for _ in workers:
        assert inside.acquire(timeout=5)  # both hashing slots are taken
    try:
        with pytest.raises(users.SignInBusy):
            users.authenticate(empty_store, "jo", "x")
        busy.append(True)
    finally:
        release.set()
        for w in workers:
            w.join()
    assert busy == [True]


def test_the_administrator_resets_a_password_and_cannot_lock_themselves_out(empty_store, admin, nurse):
    fail(empty_store, times=5)
    users.reset_password(empty_store, admin, nurse.id, "a new long password")
    assert users.authenticate(empty_store, "jo", "a new long password") is None   # still locked for 15 minutes
    with pytest.raises(ValueError, match="at least 10"):
        users.reset_password(empty_store, admin, nurse.id, "short")
    with pytest.raises(ValueError, match="cannot deactivate your own account"):
        users.set_active(empty_store, admin, admin.id, False)
    with pytest.raises(ValueError, match="cannot change the role of your own account"):
        users.set_role(empty_store, admin, admin.id, "nurse")
    with pytest.raises(AccessDenied):
        users.reset_password(empty_store, nurse, admin.id, "a new long password")
    listed = users.accounts(empty_store, admin)
    assert list(listed["username"]) == ["ad", "jo"] and "password_hash" not in listed.columns
    assert "password_reset" in audit_actions(empty_store)


def test_a_change_made_on_what_another_administrator_already_changed_is_refused(empty_store, admin, nurse):
    """Seen in review: two administrators on one account, and the last click silently won."""
    other = users.create_user(empty_store, admin, "kim", "Kim Admin", "admin", "a long enough password")
    users.set_role(empty_store, other, nurse.id, "therapist", seen=("nurse", True))
    with pytest.raises(ValueError, match="changed by someone else since you opened it: it is now Therapist, "
                                         "active. Nothing was changed"):
        users.set_role(empty_store, admin, nurse.id, "prescriber", seen=("nurse", True))
    with pytest.raises(ValueError, match="changed by someone else"):
        users.set_active(empty_store, admin, nurse.id, False, seen=("nurse", True))
    assert empty_store.execute("SELECT role, active FROM users WHERE id = ?", [nurse.id]).fetchone() == (
        "therapist", True)
    users.set_active(empty_store, admin, nurse.id, False, seen=("therapist", True))
    assert empty_store.execute("SELECT active FROM users WHERE id = ?", [nurse.id]).fetchone() == (False,)


def test_a_role_change_is_audited_with_the_role_it_replaced(empty_store, admin, nurse):
    users.set_role(empty_store, admin, nurse.id, "therapist", seen=("nurse", True))
    (detail,) = empty_store.execute("SELECT detail FROM audit_log WHERE action = 'user_role_changed'").fetchone()
    assert json.loads(detail) == {"role": "therapist", "was": "nurse"}


def test_no_password_is_hashed_when_the_module_is_imported():
    """A fresh process's first page paid for an Argon2 hash (0.3-0.5 s of CPU) just by importing core.users."""
    import subprocess
    import sys
    probe = ("import argon2\n"
             "def refuse(*args, **kwargs): raise SystemExit('hashed at import')\n"
             "argon2.PasswordHasher.hash = refuse\n"
             "import core.users\n")
    assert subprocess.run([sys.executable, "-c", probe], check=False, capture_output=True).returncode == 0


def test_the_unknown_account_hash_costs_what_a_real_one_does():
    """An unknown username is verified against a fixed hash: it must carry the hasher's own parameters."""
    assert not PasswordHasher().check_needs_rehash(users._DUMMY_HASH)  # tests swap users._hasher for a fast one


# Unlocking (issue 25.12)


def test_a_locked_account_is_listed_with_when_its_lock_ends(empty_store, admin, nurse):
    fail(empty_store, times=4)
    assert users.locked_accounts(empty_store, admin).empty  # four failures lock nothing
    before = datetime.now()
    fail(empty_store)
    locked = users.locked_accounts(empty_store, admin)
    assert list(locked["username"]) == ["jo"] and list(locked["id"]) == [nurse.id]
    until = locked["locked_until"].iloc[0]
    assert before + timedelta(minutes=14) < until <= datetime.now() + users.LOCK_FOR
    assert "password_hash" not in locked.columns


def test_an_administrator_unlocks_an_account_at_once_and_the_unlock_is_audited(empty_store, admin, nurse):
    fail(empty_store, times=5)
    users.unlock(empty_store, admin, nurse.id)
    (actor, entity, entity_id, detail), = empty_store.execute(
        "SELECT actor_id, entity, entity_id, detail FROM audit_log WHERE action = 'account_unlocked'").fetchall()
    assert (actor, entity, entity_id) == (admin.id, "user", nurse.id)
    assert json.loads(detail) == {"failures": 5}
    assert users.locked_accounts(empty_store, admin).empty
    assert users.authenticate(empty_store, "jo", RIGHT) == nurse


def test_failures_count_afresh_after_an_unlock(empty_store, admin, nurse):
    fail(empty_store, times=5)
    users.unlock(empty_store, admin, nurse.id)
    elsewhere = "10.0.0.8"  # ten failures from one address in a minute turn it away before the account is tried
    for _ in range(4):
        assert users.authenticate(empty_store, "jo", "a wrong password", source=elsewhere) is None
    assert users.locked_accounts(empty_store, admin).empty
    assert users.authenticate(empty_store, "jo", "a wrong password", source=elsewhere) is None
    assert list(users.locked_accounts(empty_store, admin)["username"]) == ["jo"]
    assert users.authenticate(empty_store, "jo", RIGHT, source="10.0.0.9") is None


def test_only_an_administrator_unlocks_and_only_a_locked_account(empty_store, admin, nurse):
    fail(empty_store, "ad", times=5)
    with pytest.raises(AccessDenied):
        users.unlock(empty_store, nurse, admin.id)
    with pytest.raises(AccessDenied):
        users.locked_accounts(empty_store, nurse)
    with pytest.raises(ValueError, match="Jo Nurse \\(jo\\) is not locked"):
        users.unlock(empty_store, admin, nurse.id)
    with pytest.raises(ValueError, match=users.NOT_FOUND):
        users.unlock(empty_store, admin, 999)
    assert "account_unlocked" not in audit_actions(empty_store)
