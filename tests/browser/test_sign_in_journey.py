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


SWALLOW_ONE_CLICK = """() => document.addEventListener("click", (event) => {
    event.stopImmediatePropagation();
    event.preventDefault();
}, {capture: true, once: true})"""
COUNT_CLICKS = "() => { window.clicks = 0; document.addEventListener('click', () => { window.clicks += 1; }); }"


def refused_after(tab, url, script: str) -> None:
    """Sign in with a wrong password through act(), with `script` run in the page first; the refusal is drawn."""
    tab.goto(url)
    tab.get_by_label("Username").fill("nurse")
    tab.get_by_role("textbox", name="Password").fill("wrong password")
    tab.evaluate(script)
    act(tab, tab.get_by_role("button", name="Sign in").click)
    expect(tab.get_by_text("Sign-in failed: the username or password is not right")).to_be_visible()


def test_a_click_taken_by_nothing_is_made_again(tab, app_url):
    """act(), the browser tests' one step: a click that fell on nothing (a change of layout under the pointer; here
    the page swallows it before the app sees it) sends no request, and act() clicks again as a person would,
    instead of waiting 30 s for a run that never comes."""
    refused_after(tab, app_url, SWALLOW_ONE_CLICK)


def test_a_click_that_was_taken_is_made_once(tab, app_url):
    """act()'s second click is only for a click that sent nothing: a taken click is never doubled."""
    refused_after(tab, app_url, COUNT_CLICKS)
    assert tab.evaluate("() => window.clicks") == 1
