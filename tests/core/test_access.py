"""Access is decided from the database on every call, not from the User object a browser session holds."""

import importlib
import inspect
import pkgutil

import pytest

import core
from core import approvals, patients, users, worklist
from core.access import AccessDenied, User

ADMIN = User(1, "admin", "Demo Administrator", "admin")
PRESCRIBER = User(2, "prescriber", "Dr Demo Prescriber", "prescriber")
NURSE = User(3, "nurse", "Demo Nurse", "nurse")
VIEWER = User(5, "viewer", "Demo Stakeholder", "viewer")

NOT_GUARDED = {
    "users.sign_out": "records the account's own sign-out, whatever its state",
    "users.verify_password": "refuses a deactivated account by itself (returns False) and audits the attempt",
}


def guarded_functions():
    """Every public core function that acts for a signed-in account (a `user` or `actor` parameter), with the
    number of further positional arguments and the keyword-only ones it requires (all given as None)."""
    found = []
    for info in pkgutil.iter_modules(core.__path__):
        module = importlib.import_module(f"core.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            qualified = f"{info.name}.{name}"
            if fn.__module__ != module.__name__ or name.startswith("_") or qualified in NOT_GUARDED:
                continue
            signature = inspect.signature(fn).parameters.values()
            params = [p.name for p in signature if p.kind != p.KEYWORD_ONLY]
            keywords = {p.name: None for p in signature if p.kind == p.KEYWORD_ONLY and p.default is p.empty}
            if len(params) >= 2 and params[0] == "con" and params[1] in ("user", "actor"):
                found.append(pytest.param(fn, (len(params) - 2, keywords), id=qualified))
    return found


GUARDED = guarded_functions()


def test_the_scan_finds_the_functions_that_return_identified_data():
    names = {p.id for p in GUARDED}
    assert {"patients.roster", "patients.chart", "patients.probable_duplicates", "approvals.queue",
            "approvals.decide", "worklist.attention", "audit_log.page", "users.create_user"} <= names


@pytest.mark.parametrize(("fn", "extra"), GUARDED)
def test_a_deactivated_account_is_refused_by_every_function(demo_store, fn, extra):
    users.set_active(demo_store, ADMIN, NURSE.id, False)
    users.set_active(demo_store, ADMIN, PRESCRIBER.id, False)
    for stale in (NURSE, PRESCRIBER):
        with pytest.raises(AccessDenied, match="not active"):
            fn(demo_store, stale, *[None] * extra[0], **extra[1])


@pytest.mark.parametrize(("fn", "extra"), GUARDED)
def test_an_unknown_account_is_refused_by_every_function(demo_store, fn, extra):
    with pytest.raises(AccessDenied):
        fn(demo_store, User(999, "ghost", "Ghost", "admin"), *[None] * extra[0], **extra[1])


@pytest.mark.parametrize("fn", [patients.roster, patients.chart, patients.probable_duplicates, approvals.queue,
                                worklist.attention])
def test_the_viewer_gets_no_identified_data(demo_store, fn):
    extra = sum(p.default is p.empty for p in inspect.signature(fn).parameters.values()) - 2
    with pytest.raises(AccessDenied, match="cannot do this"):
        fn(demo_store, VIEWER, *[None] * extra)


def test_a_deactivated_nurse_loses_the_roster_on_her_next_call(demo_store):
    assert not patients.roster(demo_store, NURSE).rows.empty
    users.set_active(demo_store, ADMIN, NURSE.id, False)
    with pytest.raises(AccessDenied, match="not active"):
        patients.roster(demo_store, NURSE)


def test_a_reroled_account_has_the_new_role_rights_at_once(demo_store):
    """The session still holds a nurse; the database now says prescriber, then viewer."""
    with pytest.raises(AccessDenied):
        approvals.queue(demo_store, NURSE)
    users.set_role(demo_store, ADMIN, NURSE.id, "prescriber")
    assert not approvals.queue(demo_store, NURSE).empty
    users.set_role(demo_store, ADMIN, NURSE.id, "viewer")
    with pytest.raises(AccessDenied, match="Viewer"):
        patients.roster(demo_store, NURSE)


def test_role_change_is_audited_and_checked(demo_store):
    with pytest.raises(ValueError, match="Role: choose one of"):
        users.set_role(demo_store, ADMIN, NURSE.id, "superuser")
    with pytest.raises(AccessDenied):
        users.set_role(demo_store, NURSE, NURSE.id, "admin")
    users.set_role(demo_store, ADMIN, NURSE.id, "therapist")
    (action,) = demo_store.execute("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    assert action == "user_role_changed"


def test_an_account_needs_an_admin_actor(demo_store):
    with pytest.raises(TypeError):
        users.create_user(demo_store, "sam", "Sam", "nurse", "a long enough password")  # no actor at all
    with pytest.raises(AccessDenied):
        users.create_user(demo_store, None, "sam", "Sam", "admin", "a long enough password")
    with pytest.raises(AccessDenied):
        users.create_user(demo_store, NURSE, "sam", "Sam", "admin", "a long enough password")


def test_the_first_admin_only_exists_on_an_empty_database(demo_store, empty_store):
    with pytest.raises(ValueError, match="already has accounts"):
        users.create_first_admin(demo_store, "sneaky", "Sneaky", "a long enough password")
    first = users.create_first_admin(empty_store, "alex", "Alex", "a long enough password")
    assert first.role == "admin"
    with pytest.raises(ValueError, match="already has accounts"):
        users.create_first_admin(empty_store, "second", "Second", "a long enough password")
