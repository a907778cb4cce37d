"""The outcomes page: staff and viewer, filters, empty and bad ranges, suppression, drill-down and export."""

import json
from datetime import date, timedelta

from tests.pages.conftest import all_text
from tests.pages.test_screening_pages import click, stored

PAGE = "pages/outcomes.py"


def identities(at) -> list[str]:
    rows = stored(at, "SELECT first_name, last_name, mrn, date_of_birth FROM patients")
    return sorted({v for first, last, mrn, born in rows
                   for v in (f"{last}, {first}", mrn, born.isoformat(), f"{born:%d %b %Y}")})


def everything(at) -> str:
    """The page's text, tables and every chart's spec (its data and tooltips): what the browser receives."""
    specs = [json.dumps(json.loads(c.proto.spec)) + json.dumps(json.loads(c.proto.spec).get("datasets", {}))
             for c in at.get("vega_lite_chart")]
    return all_text(at) + "\n".join(specs)


def narrow(at, first: date, last: date):
    at.date_input(key="outcomes_start").set_value(first)
    at.date_input(key="outcomes_end").set_value(last)
    return at.run()


def test_staff_see_every_figure_with_its_n_and_the_charts(page):
    at = page(PAGE, "prescriber")
    assert not at.exception
    text = all_text(at)
    for label in ("Patients", "Completed the course", "Days abstinent", "PHQ-9 response",
                  "Adverse events per session"):
        assert label in [m.label for m in at.metric]
    assert len(at.metric) == 13 and all(m.help for m in at.metric)
    assert "n = " in text and "Dakwar E, et al." in text and "is not a trial arm" in text
    assert len(at.get("vega_lite_chart")) >= 5


def test_a_viewer_sees_no_identity_anywhere(page, demo_db):
    at = page(PAGE, "viewer")
    assert not at.exception
    shown = everything(at)
    leaked = [v for v in identities(at) if v in shown]
    assert leaked == []
    assert not at.get("download_button") and "Patients behind a figure" not in shown
    assert "De-identified view" in shown


def test_a_viewer_of_a_small_cohort_sees_only_suppressed_values(page, demo_db):
    """The viewer's dates are whole quarters (issue 19), so a cohort of 1 to 10 is reached by quarter and filters."""
    at = page(PAGE, "viewer")
    quarter, substance, sex = stored(at, """
        SELECT date_trunc('quarter', f.day0), p.primary_substance, p.sex
        FROM (SELECT patient_id, CAST(min(started_at) AS DATE) AS day0 FROM dosing_sessions GROUP BY patient_id) f
        JOIN patients p ON p.id = f.patient_id
        GROUP BY ALL HAVING count(*) BETWEEN 1 AND 10 ORDER BY 1 DESC LIMIT 1""")[0]
    quarter = quarter.date() if hasattr(quarter, "date") else quarter
    at.selectbox(key="outcomes_start_quarter").set_value(quarter)
    at.selectbox(key="outcomes_end_quarter").set_value(quarter)
    at.multiselect(key="outcomes_substances").set_value([substance])
    at = at.multiselect(key="outcomes_sexes").set_value([sex]).run()
    values = {m.label: m.value for m in at.metric}
    assert values and set(values.values()) == {"fewer than 11"}
    assert not at.get("vega_lite_chart")


def test_a_viewer_chooses_whole_quarters_and_sees_counts_rounded(page):
    at = page(PAGE, "viewer")
    assert not at.get("date_input")
    assert all(o.count(" Q") == 1 for o in at.selectbox(key="outcomes_start_quarter").options)
    text = all_text(at)
    assert "whole calendar quarters" in text and "rounded to a multiple of 11" in text
    patients = {m.label: m.value for m in at.metric}["Patients"]
    assert patients.startswith("about ") and int(patients.removeprefix("about ").replace(",", "")) % 11 == 0


def test_a_range_that_ends_before_it_starts_is_refused(page):
    at = narrow(page(PAGE, "nurse"), date(2026, 6, 1), date(2026, 5, 1))
    assert "ends (01 May 2026) before it starts (01 Jun 2026)" in at.error[0].value
    assert not at.metric


def test_a_filter_matching_no_one_says_so_without_empty_charts(page, demo_db):
    at = narrow(page(PAGE, "therapist"), date(2001, 1, 1), date(2001, 12, 31))
    assert "No patients match these filters." in all_text(at)
    assert not at.get("vega_lite_chart") and not at.metric


def test_each_filter_changes_the_figures(page):
    at = page(PAGE, "prescriber")
    everyone = {m.label: m.value for m in at.metric}["Patients"]
    at.multiselect(key="outcomes_substances").set_value(["alcohol"]).run()
    alcohol = {m.label: m.value for m in at.metric}["Patients"]
    at.multiselect(key="outcomes_sexes").set_value(["female"]).run()
    women = {m.label: m.value for m in at.metric}["Patients"]
    assert int(everyone.replace(",", "")) > int(alcohol) > int(women) > 0


def test_staff_drill_to_the_patients_behind_a_figure_and_export_de_identified(page, demo_db):
    at = page(PAGE, "nurse")
    at.selectbox(key="outcomes_figure").set_value("end_of_course_abstinence").run()
    behind = at.dataframe[0].value
    assert {"patient", "chart_number"} <= set(behind.columns) and len(behind) > 0
    at = click(at, "Prepare the export")
    assert "Clinic pseudonym" in at.error[0].value and "not set yet" in at.error[0].value
    stored(at, "INSERT INTO clinic_settings VALUES ('clinic_pseudonym', '\"north-1\"', 1, now())")
    at = click(at, "Prepare the export")
    assert "De-identified export ready" in all_text(at)
    assert [b.label for b in at.get("download_button")] == ["Download Parquet", "Download CSV"]
    assert stored(at, "SELECT count(*) FROM audit_log WHERE action = 'outcomes_exported'") == [(1,)]
    csv = at.session_state["outcomes_export"]["csv"].decode()
    assert [v for v in identities(at) if v in csv] == []
    assert csv.splitlines()[0].startswith("clinic,sex,age_band,primary_substance,first_route,first_year")
    assert all(line.startswith("north-1,") for line in csv.splitlines()[1:])


def test_today_is_the_last_day_a_filter_can_choose(page):
    at = page(PAGE, "prescriber")
    assert at.date_input(key="outcomes_end").value == date.today()
    assert at.date_input(key="outcomes_start").value < date.today() - timedelta(days=365)


def test_a_figure_behind_one_patient_or_session_says_so_in_the_singular():
    """Seen in review: 'n = 1 patients'."""
    from core.outcomes import Figure
    from ui.outcomes_view import n_text
    assert n_text("pda", Figure(0.5, 1)) == "n = 1 patient"
    assert n_text("ae_per_session", Figure(0.5, 1)) == "n = 1 session"
    assert n_text("pda", Figure(0.5, 2)) == "n = 2 patients"
    assert n_text("ae_per_session", Figure(0.5, 1_200)) == "n = 1,200 sessions"


def chart_columns(at) -> set[str]:
    """The column names of every dataset the charts send, which the chart menu's "Show data" puts on screen."""
    import pyarrow as pa
    return {name for c in at.get("vega_lite_chart") for d in c.proto.datasets
            for name in pa.ipc.open_stream(d.data.data).read_all().column_names}


def test_a_chart_s_data_is_labelled_in_words_for_show_data(page):
    """Seen in review: a chart's 'Show data' listed at_risk, session_number and n."""
    for role in ("viewer", "prescriber"):
        columns = chart_columns(page(PAGE, role))
        assert columns and [c for c in columns if "_" in c or c[0].islower()] == [], role


def test_the_page_states_its_filters_and_its_date_so_a_printout_does(page):
    """Seen in review: a printout for a funder did not say which patients, or when, the figures were for."""
    at = page(PAGE, "prescriber")
    at.multiselect(key="outcomes_substances").set_value(["alcohol", "cocaine"])
    at.multiselect(key="outcomes_sexes").set_value(["female"])
    at = narrow(at, date(2025, 1, 1), date.today())
    text = all_text(at)
    assert (f"Patients whose first dosing session was from 01 Jan 2025 to {date.today():%d %b %Y}; primary "
            f"substance: Alcohol, Cocaine; route: all; sex at birth: Female; age: all. Figures as of "
            f"{date.today():%d %b %Y}.") in text


def test_the_drill_down_shows_each_patient_s_own_part_in_the_figure(page):
    """Seen in review: the list behind 'PHQ-9 response' named every patient in its n without showing who
    responded; each figure now shows the values it is worked out from."""
    at = page(PAGE, "prescriber")
    for figure, columns in (("phq9_response", {"phq9_baseline", "phq9_follow_up"}),
                            ("end_of_course_abstinence", {"abstinent_after_course"}),
                            ("pda", {"days_abstinent_share"}),
                            ("ae_per_session", {"sessions", "adverse_events"})):
        at.selectbox(key="outcomes_figure").set_value(figure).run()
        assert columns <= set(at.dataframe[0].value.columns), figure


def test_the_viewer_s_relapse_curve_carries_no_daily_relapse_counts(page):
    """Seen in review: 'Show data' gave the viewer 'Patients at risk 14, Relapses 1'. The curve and the number at
    risk (11 or more) are enough to read it; the counts of a day stay with the staff."""
    assert "Relapses" not in chart_columns(page(PAGE, "viewer"))
    assert "Relapses" in chart_columns(page(PAGE, "prescriber"))


def test_the_chosen_figure_is_still_chosen_on_the_way_back_from_a_chart(page):
    """Seen in a day's use (issue 25.13): back from a chart opened from "Patients behind a figure", the figure was
    gone and the list with it."""
    at = page(PAGE, "prescriber")
    at.selectbox(key="outcomes_figure").set_value("severe_htn_per_session").run()
    at.switch_page("pages/patients.py").run()
    at.switch_page(PAGE).run()
    assert at.selectbox(key="outcomes_figure").value == "severe_htn_per_session"
    assert len(at.dataframe) == 1 and (at.dataframe[0].value["severe_htn_sessions"] > 0).all()


def test_a_reversed_range_is_refused_beside_the_date_it_names(page):
    """Seen in a day's use (issue 25.13): the refusal stood above the figures, far from the date to change."""
    at = narrow(page(PAGE, "nurse"), date(2026, 6, 1), date(2026, 5, 1))
    (refusal,) = at.error
    beside = at.columns[1]
    assert any(e.value == refusal.value for e in beside.error) and "First session to" in refusal.value


def test_abstinence_after_the_course_and_the_relapse_curve_say_how_they_differ(page):
    text = all_text(page(PAGE, "prescriber"))
    assert "Abstinent after the course and Time to relapse count different things" in text


def test_the_two_reference_points_once_vague_are_cited_in_full(page):
    text = all_text(page(PAGE, "prescriber"))
    assert "Yale review" not in text and "Gen Hosp Psychiatry. 2024" in text and "2,342 infusions" in text
    assert "ASKP3 2022" in text and "not yet published" in text


def test_the_patients_behind_a_figure_are_shown_50_to_a_page(page):
    """Issue 21: the list behind a figure was drawn whole (81,314 rows at 100,000 patients)."""
    at = page(PAGE, "prescriber")
    at.selectbox(key="outcomes_figure").set_value("patients").run()
    first = at.dataframe[0].value
    assert len(first) == 50 and "page 1 of" in all_text(at)
    at = click(at, "Next page")
    second = at.dataframe[0].value
    assert len(second) == 50 and not set(second["chart_number"]) & set(first["chart_number"])
    assert "page 2 of" in all_text(at)


def chart_titles(at) -> list[str]:
    return [json.loads(c.proto.spec)["title"] for c in at.get("vega_lite_chart")]


def test_each_chart_is_titled_as_a_chart_left_out_is_named(page):
    """Seen in review: the "Not drawn" caption named "Days abstinent and heavy drinking days" the chart titled
    "Abstinent and heavy days"; a reader could not match what was hidden. Both now come from the page's one list."""
    assert chart_titles(page(PAGE, "prescriber")) == [
        "Craving before and after each session", "Depression (PHQ-9) over the course",
        "Days abstinent and heavy drinking days", "Retention by session number", "Time to relapse",
        "Adverse events per session"]


def test_heavy_drinking_days_for_a_group_without_drinkers_says_why_it_has_no_value(page):
    """Seen in review: "no data yet" for a cocaine cohort, as if the figure were waiting for data."""
    at = page(PAGE, "prescriber").multiselect(key="outcomes_substances").set_value(["cocaine"]).run()
    assert {m.label: m.value for m in at.metric}["Heavy drinking days"] == "no alcohol use logged"


def test_the_viewer_is_told_a_small_group_s_shares_come_from_rounded_counts(page):
    """Seen in review: a viewer's group of 12, 7 of whom completed the course, read "100%" (11 of 11) with nothing
    to say a share can be that far from the clinic's own."""
    assert "The shares are worked out from the rounded counts" in all_text(page(PAGE, "viewer"))
