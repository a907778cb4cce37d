"""An administrator and a clinician at the same time: an account the administrator deactivates stops working on the
clinician's very next click, in the clinician's own browser."""

from playwright.sync_api import expect

from tests.browser.runs import act
from tests.browser.test_patient_safety import SEARCH, unique
from tests.browser.test_screening_journey import go, pick, type_into
from tests.browser.test_sign_in_journey import sign_in

PASSWORD = "a long new password"


def add_nurse(admin, app_url: str, username: str, name: str) -> None:
    """The administrator signs in and adds a nurse's account on the Administration page."""
    sign_in(admin, app_url, "admin", "demo-admin-2026")
    go(admin, "Administration")
    type_into(admin, "Username", username)
    type_into(admin, "Name shown on screen", name)
    pick(admin, "Role", "Nurse")
    admin.get_by_label("Password (at least 10 characters)", exact=True).fill(PASSWORD)
    type_into(admin, "Password again", PASSWORD)
    act(admin, admin.get_by_role("button", name="Add the account").click)
    expect(admin.get_by_text(f"Account {username} made (Nurse).")).to_be_visible()


def test_a_deactivated_nurse_is_signed_out_on_the_next_click(new_tab, app_url):
    admin, nurse = new_tab(), new_tab()
    username, name = unique("nurse"), unique("Nurse ")
    add_nurse(admin, app_url, username, name)

    sign_in(nurse, app_url, username, PASSWORD)
    go(nurse, "Patients")
    expect(nurse.get_by_label(SEARCH, exact=True)).to_be_visible()

    pick(admin, "Account", f"{name} ({username})")
    act(admin, admin.get_by_role("button", name="Deactivate the account").click)
    expect(admin.get_by_text("Account deactivated: signed out on the next click.")).to_be_visible()

    type_into(nurse, SEARCH, "DEMO-0000")
    expect(nurse.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(nurse.get_by_test_id("stDataFrame")).to_have_count(0)
    expect(nurse.get_by_role("button", name="Sign out")).to_have_count(0)


def test_a_locked_out_nurse_is_unlocked_by_the_administrator_and_the_unlock_is_in_the_audit_log(new_tab, app_url):
    """Issue 25.12: five mistyped passwords lock an account for 15 minutes; the administrator sees the lock, unlocks
    it (audited), and the nurse signs in at once."""
    admin, nurse = new_tab(), new_tab()
    username, name = unique("locked"), unique("Locked ")
    add_nurse(admin, app_url, username, name)

    for attempt in range(5):
        sign_in(nurse, app_url, username, f"not the password {attempt}")
        expect(nurse.get_by_text("Sign-in failed: the username or password is not right")).to_be_visible()
    sign_in(nurse, app_url, username, PASSWORD)
    expect(nurse.get_by_text("Sign-in failed: the username or password is not right")).to_be_visible()

    go(admin, "Audit log")  # and back: the Administration page draws the lock as it is now
    go(admin, "Administration")
    expect(admin.get_by_text(f"{name} ({username}): locked after 5 failed sign-ins")).to_be_visible()
    act(admin, admin.get_by_role("button", name=f"Unlock {name} ({username})").click)
    expect(admin.get_by_text(f"{name} ({username}) is unlocked and can sign in now.")).to_be_visible()
    expect(admin.get_by_role("button", name=f"Unlock {name} ({username})")).to_have_count(0)

    sign_in(nurse, app_url, username, PASSWORD)
    expect(nurse.get_by_role("button", name="Sign out")).to_be_visible()

    go(admin, "Audit log")
    expect(admin.get_by_role("heading", name="Audit log")).to_be_visible()
    grid = admin.get_by_test_id("stDataFrame")
    expect(grid.locator("[role=gridcell]").filter(has_text="Account unlocked by an administrator")).to_have_count(1)
