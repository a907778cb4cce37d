import pytest

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
