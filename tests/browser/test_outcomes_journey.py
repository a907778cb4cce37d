"""The outcomes page in Chromium: its charts draw with data, a filter redraws them, and it prints without widgets."""

import re

from playwright.sync_api import expect

from tests.browser.runs import act
from tests.browser.test_screening_journey import go, open_list
from tests.browser.test_sign_in_journey import sign_in


def figure(tab, label: str) -> str:
    return tab.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue").inner_text()


def test_the_charts_draw_with_data_and_a_filter_redraws_them(tab, app_url):
    sign_in(tab, app_url, "prescriber", "demo-prescriber-2026")
    go(tab, "Outcomes")
    expect(tab.get_by_role("heading", name="Over the course")).to_be_visible()
    charts = tab.locator(".stVegaLiteChart canvas, .stVegaLiteChart svg")
    expect(charts.nth(4), "five charts drawn (each draws after the run that sent it)").to_be_visible()
    everyone = int(figure(tab, "Patients").replace(",", ""))

    alcohol_option = tab.get_by_role("option", name="Alcohol", exact=True)
    open_list(tab, "Primary substance", alcohol_option)
    act(tab, alcohol_option.click)
    tab.keyboard.press("Escape")  # a multiselect's list stays open after a choice
    patients = tab.get_by_test_id("stMetric").filter(has_text="Patients").get_by_test_id("stMetricValue")
    expect(patients).not_to_have_text(re.compile(rf"^{everyone:,}$"))
    alcohol = int(figure(tab, "Patients").replace(",", ""))
    assert 0 < alcohol < everyone
    expect(charts.first).to_be_visible()


def test_a_viewer_sees_figures_and_charts_and_the_page_prints_without_widgets(tab, app_url):
    sign_in(tab, app_url, "viewer", "demo-viewer-2026")
    go(tab, "Outcomes")
    expect(tab.get_by_text("De-identified view")).to_be_visible()
    expect(tab.locator(".stVegaLiteChart").first).to_be_visible()
    tab.emulate_media(media="print")
    expect(tab.get_by_test_id("stSidebar")).to_be_hidden()
    expect(tab.get_by_label("Primary substance", exact=True)).to_be_hidden()
    expect(tab.locator(".stVegaLiteChart").first).to_be_visible()
    expect(tab.get_by_test_id("stMetric").first).to_be_visible()
