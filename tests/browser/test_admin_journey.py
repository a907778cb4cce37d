"""An administrator and a clinician at the same time: an account the administrator deactivates stops working on the
clinician's very next click, in the clinician's own browser."""

from playwright.sync_api import expect

from tests.browser.runs import act
from tests.browser.test_patient_safety import SEARCH, unique
from tests.browser.test_screening_journey import go, pick, type_into
from tests.browser.test_sign_in_journey import sign_in

PASSWORD = "a long new password"


def test_a_deactivated_nurse_is_signed_out_on_the_next_click(new_tab, app_url):
    admin, nurse = new_tab(), new_tab()
    username, name = unique("nurse"), unique("Nurse ")
    sign_in(admin, app_url, "admin", "demo-admin-2026")
    go(admin, "Administration")
    type_into(admin, "Username", username)
    type_into(admin, "Name shown on screen", name)
    pick(admin, "Role", "Nurse")
    admin.get_by_label("Password (at least 10 characters)", exact=True).fill(PASSWORD)
    type_into(admin, "Password again", PASSWORD)
    act(admin, admin.get_by_role("button", name="Add the account").click)
    expect(admin.get_by_text(f"Account {username} made (Nurse).")).to_be_visible()

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
