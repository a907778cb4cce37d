from playwright.sync_api import expect

from tests.browser.runs import act


def sign_in(tab, url, username, password):
    """Open the app afresh (a new session) and sign in; returns once the sign-in's run has ended."""
    tab.goto(url)
    tab.get_by_label("Username").fill(username)
    tab.get_by_role("textbox", name="Password").fill(password)
    act(tab, tab.get_by_role("button", name="Sign in").click)


def test_nurse_signs_in_sees_home_and_signs_out(tab, app_url):
    sign_in(tab, app_url, "nurse", "demo-nurse-2026")
    expect(tab.get_by_role("heading", name="Home")).to_be_visible()
    expect(tab.get_by_text("Signed in as Demo Nurse.")).to_be_visible()
    expect(tab.get_by_text("Synthetic demo data.")).to_be_visible()
    expect(tab.get_by_text("Screenings waiting for approval")).to_be_visible()

    act(tab, tab.get_by_role("button", name="Sign out").click)
    expect(tab.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(tab.get_by_text("You are signed out.")).to_be_visible()
    expect(tab.get_by_text("Signed in as Demo Nurse.")).to_have_count(0)


def test_wrong_password_is_refused_in_the_browser(tab, app_url):
    sign_in(tab, app_url, "nurse", "wrong password")
    expect(tab.get_by_text("Sign-in failed: the username or password is not right")).to_be_visible()
    expect(tab.get_by_role("heading", name="Home")).to_have_count(0)


def test_deep_link_to_an_admin_page_asks_for_sign_in_first(tab, app_url):
    tab.goto(f"{app_url}/audit_log")
    expect(tab.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(tab.get_by_text("demo_seeded")).to_have_count(0)
