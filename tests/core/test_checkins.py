"""Check-ins, the use log, integration notes, bookings and the chart timeline, through core."""

from datetime import date, datetime, timedelta

import pytest

from core import checkins, db, dosing_sessions, integration_notes, safety, schema, timeline, users
from core.access import AccessDenied, User
from core.rules import followup, integration
from core.rules.settings import DEFAULTS
from tests.core.test_dosing_sessions import CALM, THERAPIST, approved_patient, discharged, rows, started
from tests.core.test_screening_and_approval import NOW, NURSE, PRESCRIBER

THERAPIST_PASSWORD = "demo-therapist-2026"
VIEWER = User(5, "viewer", "Demo Viewer", "viewer")
VISIT = NOW + timedelta(days=8)
CALM_SCALES = {"phq9": [1, 1, 0, 1, 0, 1, 0, 0, 0], "gad7": [1, 0, 1, 0, 0, 1, 0], "craving_vas": [35]}
CALM_PACS = [2, 1, 2, 1, 2]
"""The PACS asks about drinking: it is taken only when alcohol is the primary substance."""
PTSD_PCL5 = [3] * 20
ALCOHOL = {"primary_substance": "alcohol", "other_substances": [], "auditc": [2, 2, 1]}


def week(start: date, **overrides) -> list[dict]:
    days = [{"day": start + timedelta(days=i), "used": False, "drinks": None, "other_used": False} for i in range(7)]
    for index, change in overrides.items():
        days[int(index.removeprefix("d"))].update(change)
    return days


def save(con, patient, user=THERAPIST, answers=None, days=(), at=VISIT, **kwargs):
    """A check-in at `at`; calm scales unless `answers`, with the PACS for a patient whose primary substance is
    alcohol."""
    if answers is None:
        answers = CALM_SCALES | ({"pacs": CALM_PACS} if drinks(con, patient) else {})
    return checkins.record(con, user, patient, visit_at=at, answers=answers, use_days=list(days),
                           now=at + timedelta(minutes=5), **kwargs)


def drinks(con, patient) -> bool:
    return count(con, "SELECT primary_substance = 'alcohol' FROM patients WHERE id = ?", [patient])


def count(con, sql, params=()):
    return con.execute(sql, list(params)).fetchone()[0]


def test_a_check_in_stores_its_scores_as_assessments_and_its_use_days(demo_store):
    patient = approved_patient(demo_store, **ALCOHOL)
    before = count(demo_store, "SELECT count(*) FROM audit_log")
    saved = save(demo_store, patient, days=week(NOW.date(), d2={"used": True, "drinks": 6}))
    stored = rows(demo_store, """SELECT a.instrument, a.total, a.band FROM checkin_assessments l
                                 JOIN assessments a ON a.id = l.assessment_id WHERE l.checkin_id = ? ORDER BY 1""",
                  [saved.checkin_id])
    assert stored == [("craving_vas", 35, None), ("gad7", 3, "minimal"), ("pacs", 8, None), ("phq9", 4, "minimal")]
    assert rows(demo_store, "SELECT day, used, drinks FROM substance_use_days WHERE patient_id = ? AND used",
                [patient]) == [(NOW.date() + timedelta(days=2), True, 6.0)]
    assert count(demo_store, "SELECT count(*) FROM substance_use_days WHERE patient_id = ?", [patient]) == 7
    assert (saved.days_added, saved.days_corrected, saved.followup_raised) == (7, 0, False)
    assert rows(demo_store, "SELECT action FROM audit_log WHERE id > ?", [before]) == [("checkin_saved",)]


def test_a_recorded_day_is_corrected_with_a_reason_never_duplicated(demo_store):
    patient = approved_patient(demo_store, **ALCOHOL)
    save(demo_store, patient, days=week(NOW.date()))
    changed = week(NOW.date(), d1={"used": True, "drinks": 2})
    with pytest.raises(ValueError, match="already recorded as no use by Demo Therapist.*; give a reason"):
        save(demo_store, patient, days=changed, at=VISIT + timedelta(days=1))
    assert count(demo_store, "SELECT count(*) FROM checkins WHERE patient_id = ?", [patient]) == 1
    saved = save(demo_store, patient, days=changed, at=VISIT + timedelta(days=1),
                 correction_reason="Patient remembered a drink at a party")
    assert (saved.days_added, saved.days_corrected) == (0, 1)
    assert count(demo_store, "SELECT count(*) FROM substance_use_days WHERE patient_id = ?", [patient]) == 7
    corrections = "SELECT before, after, reason FROM use_day_corrections WHERE patient_id = ?"
    assert rows(demo_store, corrections, [patient]) == [
        ('{"used": false, "drinks": null, "other_used": false}', '{"used": true, "drinks": 2.0, "other_used": false}',
         "Patient remembered a drink at a party")]
    assert count(demo_store, "SELECT count(*) FROM audit_log WHERE action = 'use_day_corrected'") == 1


def test_one_day_is_corrected_between_visits_without_a_check_in(demo_store):
    """Seen in review: correcting one day meant filling in a whole check-in, four scales included."""
    patient = approved_patient(demo_store, **ALCOHOL)
    save(demo_store, patient, days=week(NOW.date()))
    later = VISIT + timedelta(days=2)
    day = NOW.date() + timedelta(days=1)
    result = checkins.correct_day(demo_store, THERAPIST, patient, day=day, used=True, drinks=5, other_used=False,
                                  reason="Patient phoned: a drink at a party", now=later)
    assert result == "corrected"
    assert rows(demo_store, "SELECT used, drinks FROM substance_use_days WHERE patient_id = ? AND day = ?",
                [patient, day]) == [(True, 5.0)]
    assert count(demo_store, "SELECT count(*) FROM checkins WHERE patient_id = ?", [patient]) == 1
    assert count(demo_store, "SELECT count(*) FROM use_day_corrections WHERE patient_id = ?", [patient]) == 1
    assert count(demo_store, "SELECT count(*) FROM audit_log WHERE action = 'use_day_corrected'") == 1
    missing = NOW.date() + timedelta(days=9)
    assert checkins.correct_day(demo_store, THERAPIST, patient, day=missing, used=False, drinks=None,
                                other_used=False, reason="Patient phoned with the missing day",
                                now=later) == "added"
    assert count(demo_store, "SELECT count(*) FROM audit_log WHERE action = 'use_day_added'") == 1


@pytest.mark.parametrize(("change", "words"), [
    ({"reason": "  "}, "Reason for the correction: say why"),
    ({"used": False}, "already holds these values; nothing was changed"),
    ({"day": VISIT.date() + timedelta(days=3)}, "after today"),
    ({"drinks": 61}, "between 0 and 60"),
    ({"other_used": None}, "Another substance that day: choose No or Yes"),
])
def test_a_bad_correction_between_visits_is_refused_and_nothing_changes(demo_store, change, words):
    patient = approved_patient(demo_store, **ALCOHOL)
    save(demo_store, patient, days=week(NOW.date()))
    before = rows(demo_store, "SELECT * FROM substance_use_days WHERE patient_id = ? ORDER BY day", [patient])
    given = {"day": NOW.date() + timedelta(days=1), "used": True, "drinks": 2, "other_used": False,
             "reason": "Patient phoned"} | change
    if change.get("used") is False:
        given["drinks"] = None
    with pytest.raises(ValueError, match=words):
        checkins.correct_day(demo_store, THERAPIST, patient, now=VISIT + timedelta(days=1), **given)
    assert rows(demo_store, "SELECT * FROM substance_use_days WHERE patient_id = ? ORDER BY day", [patient]) == before
    assert count(demo_store, "SELECT count(*) FROM use_day_corrections") == 0


def test_a_viewer_cannot_correct_a_day(demo_store):
    patient = approved_patient(demo_store, **ALCOHOL)
    with pytest.raises(AccessDenied):
        checkins.correct_day(demo_store, VIEWER, patient, day=NOW.date(), used=False, drinks=None, other_used=False,
                             reason="Patient phoned", now=VISIT)


@pytest.mark.parametrize(("day", "change", "words"), [
    (1, {"day": VISIT.date() + timedelta(days=1)}, "after today"),
    (1, {"day": date(2020, 1, 1)}, "before the patient's screening"),
    (2, {"used": True, "drinks": -1}, "Drinks on .* between 0 and 60 .entered -1"),
    (2, {"used": True, "drinks": 61}, "Drinks on .* between 0 and 60 .entered 61"),
    (2, {"used": False, "drinks": 3}, "marked no use"),
    (3, {"used": None}, "choose No use or Used"),
])
def test_bad_use_days_are_refused_with_the_day_named_and_nothing_stored(demo_store, day, change, words):
    patient = approved_patient(demo_store, **ALCOHOL)
    days = week(NOW.date())
    days[day].update(change)
    with pytest.raises(ValueError, match=words):
        save(demo_store, patient, days=days)
    assert count(demo_store, "SELECT count(*) FROM checkins WHERE patient_id = ?", [patient]) == 0
    assert count(demo_store, "SELECT count(*) FROM substance_use_days WHERE patient_id = ?", [patient]) == 0


def test_a_drink_count_typed_in_the_grid_is_read_as_a_number():
    def typed(drinks):
        return followup.use_day(date(2026, 11, 20), True, drinks, False, today=date(2026, 11, 21),
                                earliest=date(2026, 11, 1), counts_drinks=True).drinks

    assert (typed("2,5"), typed(" 3 "), typed(""), typed("  ")) == (2.5, 3.0, None, None)
    with pytest.raises(ValueError, match=r"\(standard drinks\) must be a number \(entered 'lots'\)"):
        typed("lots")
    with pytest.raises(ValueError, match="between 0 and 60"):
        typed("61")


def test_drinks_are_counted_only_for_alcohol(demo_store):
    patient = approved_patient(demo_store)   # cocaine
    with pytest.raises(ValueError, match="only when alcohol is the primary substance"):
        save(demo_store, patient, days=week(NOW.date(), d0={"used": True, "drinks": 2}))


@pytest.mark.parametrize(("instrument", "answers", "words"), [
    ("phq9", [1, 1, 0, None, 0, 1, 0, 0, 0], "PHQ-9.*item 4"),
    ("gad7", None, "GAD-7.*every check-in"),
    ("craving_vas", [101], "Craving"),
    ("pacs", [2, 1, 2, 1], "PACS"),
])
def test_a_half_answered_scale_is_refused_by_name_and_nothing_stored(demo_store, instrument, answers, words):
    patient = approved_patient(demo_store, **ALCOHOL)
    with pytest.raises(ValueError, match=words):
        save(demo_store, patient, answers={**CALM_SCALES, instrument: answers}, days=week(NOW.date()))
    assert count(demo_store, "SELECT count(*) FROM checkins WHERE patient_id = ?", [patient]) == 0
    assert count(demo_store, "SELECT count(*) FROM substance_use_days WHERE patient_id = ?", [patient]) == 0


def test_pcl5_is_offered_at_screening_ptsd_and_every_28_days():
    assert followup.pcl5_due(None, False, date(2026, 1, 1))
    assert followup.pcl5_due(date(2026, 1, 1), True, date(2026, 1, 2))
    assert not followup.pcl5_due(date(2026, 1, 1), False, date(2026, 1, 28))
    assert followup.pcl5_due(date(2026, 1, 1), False, date(2026, 1, 29))


def test_pcl5_due_follows_the_screening_and_the_last_one(demo_store):
    with_ptsd = approved_patient(demo_store, pcl5=PTSD_PCL5)
    assert checkins.context(demo_store, THERAPIST, with_ptsd, today=VISIT.date()).pcl5_due
    without = approved_patient(demo_store, mrn="NEW-0002", first_name="Sam", pcl5=[0] * 20)
    assert not checkins.context(demo_store, THERAPIST, without, today=VISIT.date()).pcl5_due
    with pytest.raises(ValueError, match="PCL-5: not due"):
        save(demo_store, without, answers={**CALM_SCALES, "pcl5": [0] * 20})
    assert checkins.context(demo_store, THERAPIST, without, today=NOW.date() + timedelta(days=28)).pcl5_due
    save(demo_store, with_ptsd, answers={**CALM_SCALES, "pcl5": PTSD_PCL5})
    assert count(demo_store, "SELECT count(*) FROM assessments WHERE patient_id = ? AND instrument = 'pcl5'",
                 [with_ptsd]) == 2


@pytest.mark.parametrize(("answers", "raised"), [
    ({"phq9": [0, 0, 0, 0, 0, 0, 0, 0, 1]}, True),
    ({"cssrs": {"q1": True, "q2": True, "q3": True, "q4": False, "q5": False, "behavior_lifetime": False}}, True),
    ({"cssrs": {"q1": True, "q2": True, "q3": False, "q4": False, "q5": True, "behavior_lifetime": False}}, True),
    ({"cssrs": {"q1": True, "q2": False, "behavior_lifetime": False}}, False),
    ({}, False),
])
def test_item_9_or_a_cssrs_at_moderate_or_high_raises_a_safety_follow_up(demo_store, answers, raised):
    patient = approved_patient(demo_store)
    saved = save(demo_store, patient, answers={**CALM_SCALES, **answers})
    assert saved.followup_raised is raised
    followups = [f for f in safety.for_patient(demo_store, NURSE, patient) if f.checkin_id == saved.checkin_id]
    assert len(followups) == int(raised)
    waiting = safety.open_followups(demo_store, NURSE)
    assert (saved.checkin_id is not None) and (patient in set(waiting["patient_id"])) is raised


def test_who_may_record_and_read(demo_store):
    patient = approved_patient(demo_store)
    for user in (NURSE, PRESCRIBER):
        save(demo_store, patient, user=user, at=VISIT - timedelta(days=user.id))
    with pytest.raises(AccessDenied):
        save(demo_store, patient, user=VIEWER)
    with pytest.raises(AccessDenied):
        checkins.context(demo_store, VIEWER, patient)


def test_a_visit_in_the_future_or_before_screening_is_refused(demo_store):
    patient = approved_patient(demo_store)
    with pytest.raises(ValueError, match="in the future"):
        checkins.record(demo_store, THERAPIST, patient, visit_at=VISIT + timedelta(hours=1), answers=CALM_SCALES,
                        use_days=[], now=VISIT)
    with pytest.raises(ValueError, match="before the patient's screening"):
        save(demo_store, patient, at=datetime(2026, 1, 1, 9))


def test_a_check_in_draft_is_removed_with_the_save(demo_store):
    from core import drafts

    patient = approved_patient(demo_store)
    draft = drafts.save(demo_store, THERAPIST, "checkin", {"phq9_1": 1}, patient_id=patient)
    save(demo_store, patient, draft_id=draft)
    assert drafts.mine(demo_store, THERAPIST, "checkin") == []


def dosed_and_discharged(con):
    patient = approved_patient(con)
    session = started(con, patient)
    discharged(con, session)
    return patient, session


def test_a_therapist_signs_one_integration_note_per_session(demo_store):
    patient, session = dosed_and_discharged(demo_store)
    note = {"met_at": NOW + timedelta(days=1), "themes": "Shame; family", "reflections": "Felt calmer",
            "plan": "Walk daily; call sponsor"}
    with pytest.raises(ValueError, match="Password is not right"):
        integration_notes.write(demo_store, THERAPIST, patient, session, **note, password="wrong",
                                now=NOW + timedelta(days=1))
    with pytest.raises(AccessDenied):
        integration_notes.write(demo_store, NURSE, patient, session, **note, password="x", now=NOW + timedelta(days=1))
    integration_notes.write(demo_store, THERAPIST, patient, session, **note, password=THERAPIST_PASSWORD,
                            now=NOW + timedelta(days=1))
    with pytest.raises(ValueError, match="already signed by Demo Therapist"):
        integration_notes.write(demo_store, THERAPIST, patient, session, **note, password=THERAPIST_PASSWORD,
                                now=NOW + timedelta(days=1))
    stored = integration_notes.note_for(demo_store, NURSE, session)
    assert (stored.themes, stored.signed_by) == ("Shame; family", "Demo Therapist")
    listed = integration_notes.sessions(demo_store, THERAPIST, patient)
    assert listed["intention"].tolist() == ["Notice cravings without acting on them"]


@pytest.mark.parametrize(("field", "value", "words"), [
    ("themes", "  ", "Themes is required"), ("plan", "", "Plan until the next session is required"),
    ("met_at", NOW - timedelta(days=1), "follows the dosing session"),
    ("met_at", NOW + timedelta(days=3), "in the future"),
])
def test_a_bad_integration_note_is_refused_by_field(demo_store, field, value, words):
    patient, session = dosed_and_discharged(demo_store)
    note = {"met_at": NOW + timedelta(days=1), "themes": "Shame", "reflections": "Calmer", "plan": "Walk", field: value}
    with pytest.raises(ValueError, match=words):
        integration_notes.write(demo_store, THERAPIST, patient, session, **note, password=THERAPIST_PASSWORD,
                                now=NOW + timedelta(days=2))
    assert count(demo_store, "SELECT count(*) FROM integration_notes WHERE session_id = ?", [session]) == 0


def test_a_note_is_written_only_for_the_patient_on_screen(demo_store):
    _patient, session = dosed_and_discharged(demo_store)
    other = approved_patient(demo_store, mrn="NEW-0009", first_name="Kim")
    for patient, session_id in ((other, session), (other, None)):
        with pytest.raises(ValueError, match="Dosing session: choose"):
            integration_notes.write(demo_store, THERAPIST, patient, session_id, met_at=NOW + timedelta(days=1),
                                    themes="t", reflections="r", plan="p", password=THERAPIST_PASSWORD,
                                    now=NOW + timedelta(days=1))


def test_an_integration_session_is_booked_once_after_discharge(demo_store):
    patient = approved_patient(demo_store)
    session = started(demo_store, patient)
    at = NOW + timedelta(days=2)
    with pytest.raises(ValueError, match="still in progress"):
        dosing_sessions.book_integration(demo_store, NURSE, session, at, now=NOW + timedelta(minutes=30))
    discharged(demo_store, session)
    for bad, words in ((NOW, "after now"), (NOW + timedelta(days=61), "within 60 days"), (None, "choose the day")):
        with pytest.raises(ValueError, match=words):
            dosing_sessions.book_integration(demo_store, NURSE, session, bad, now=NOW + timedelta(hours=3))
    dosing_sessions.book_integration(demo_store, NURSE, session, at, now=NOW + timedelta(hours=3))
    with pytest.raises(ValueError, match="Already booked for"):
        dosing_sessions.book_integration(demo_store, NURSE, session, at + timedelta(days=1),
                                         now=NOW + timedelta(hours=3))
    assert dosing_sessions.record(demo_store, THERAPIST, session).booked_for == at


def test_the_timeline_holds_every_kind_in_date_order(demo_store):
    patient, session = dosed_and_discharged(demo_store)
    dosing_sessions.book_integration(demo_store, NURSE, session, NOW + timedelta(days=1), now=NOW + timedelta(hours=3))
    integration_notes.write(demo_store, THERAPIST, patient, session, met_at=NOW + timedelta(days=1), themes="t",
                            reflections="r", plan="p", password=THERAPIST_PASSWORD, now=NOW + timedelta(days=1))
    save(demo_store, patient, answers={**CALM_SCALES, "phq9": [0, 0, 0, 0, 0, 0, 0, 0, 2]}, days=week(NOW.date()))
    events = timeline.events(demo_store, NURSE, patient)
    assert events["kind"].tolist() == ["safety", "checkin", "integration", "booking", "dosing", "approval",
                                       "screening"]
    assert list(events["occurred_at"]) == sorted(events["occurred_at"], reverse=True)
    assert timeline.use_days(demo_store, NURSE, patient)["used"].tolist() == [False] * 7
    assert timeline.craving(demo_store, NURSE, patient)["craving"].tolist() == [60, 30, 35]


def test_heavy_days_follow_sex_and_missing_counts():
    assert not followup.heavy_day(True, 4, "male") and followup.heavy_day(True, 5, "male")
    assert not followup.heavy_day(True, 3, "female") and followup.heavy_day(True, 4, "female")
    assert followup.heavy_day(True, None, "male") and not followup.heavy_day(False, None, "female")


def test_migration_5_keeps_follow_ups_and_their_assessments(tmp_path, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:4])
        con = db.open_store(tmp_path / "old.duckdb")
    con.execute("INSERT INTO users (username, display_name, role, password_hash, created_at) "
                "VALUES ('boss', 'Boss', 'admin', ?, now())", [users.hash_password("a long enough password")])
    con.execute("INSERT INTO patients (mrn, first_name, last_name, date_of_birth, sex, primary_substance, status, "
                "created_at) VALUES ('X-1', 'A', 'B', DATE '1980-01-01', 'male', 'alcohol', 'screened', now())")
    con.execute("INSERT INTO screenings (patient_id, screened_at, answers, systolic_bp, diastolic_bp, decision, "
                "urgent, reasons, rules_version) VALUES (1, now(), '{}', 120, 80, 'needs_review', TRUE, '[]', 'v')")
    con.execute("INSERT INTO safety_followups (patient_id, screening_id, raised_at) VALUES (1, 1, now())")
    con.execute("INSERT INTO safety_assessments (followup_id, assessed_at, assessed_by, outcome, note) "
                "VALUES (1, now(), 1, 'safety_plan', 'ok')")
    assert schema.migrate(con) == [5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    assert rows(con, "SELECT f.id, f.screening_id, f.checkin_id, a.outcome FROM safety_followups f "
                     "JOIN safety_assessments a ON a.followup_id = f.id") == [(1, 1, None, "safety_plan")]
    assert rows(con, "SELECT nextval('safety_followups_id_seq')") == [(2,)]


def test_a_no_use_day_stored_with_a_zero_count_is_the_same_day_saved_again_without_one(demo_store):
    """Seen in review: a demo day kept as no use with 0 drinks, saved again as no use, was reported 'corrected'
    and audited: 0 drinks on a day without use is no count (the use-day rule), so nothing changed."""
    patient = approved_patient(demo_store, **ALCOHOL)
    day = NOW.date() + timedelta(days=1)
    demo_store.execute("INSERT INTO substance_use_days (patient_id, day, used, drinks, other_used, recorded_by, "
                       "recorded_at) VALUES (?, ?, false, 0, false, 4, ?)", [patient, day, NOW])
    with pytest.raises(ValueError, match="already holds these values; nothing was changed"):
        checkins.correct_day(demo_store, THERAPIST, patient, day=day, used=False, drinks=None, other_used=False,
                             reason="Patient phoned", now=VISIT)
    assert count(demo_store, "SELECT count(*) FROM use_day_corrections") == 0


def test_a_second_check_in_the_same_day_is_refused_until_confirmed(demo_store):
    """A nurse and a therapist (or two tabs) each recording the visit must not leave two contradictory check-ins
    without a word: the second is refused naming the first, and stored only when confirmed as a second visit."""
    patient = approved_patient(demo_store)
    first = save(demo_store, patient, user=THERAPIST)
    before = count(demo_store, "SELECT count(*) FROM checkins WHERE patient_id = ?", [patient])
    with pytest.raises(checkins.SameDayCheckin, match=r"already saved by Demo Therapist at \d\d:\d\d"):
        save(demo_store, patient, user=NURSE, at=VISIT + timedelta(hours=2))
    assert count(demo_store, "SELECT count(*) FROM checkins WHERE patient_id = ?", [patient]) == before
    second = save(demo_store, patient, user=NURSE, at=VISIT + timedelta(hours=2), second_same_day=True)
    assert second.checkin_id != first.checkin_id
    assert save(demo_store, patient, user=NURSE, at=VISIT + timedelta(days=1)).checkin_id  # the next day: no question


def test_the_pacs_is_taken_only_when_alcohol_is_the_primary_substance(demo_store):
    """The PACS asks about drinking: required for a patient whose primary substance is alcohol, refused by name for
    anyone else (a cocaine patient's 'craving for alcohol' would read as their craving)."""
    drinker = approved_patient(demo_store, **ALCOHOL)
    other = approved_patient(demo_store, mrn="PACS-0002", last_name="Nodrink")
    with pytest.raises(ValueError, match="PACS.*not answered"):
        save(demo_store, drinker, answers=CALM_SCALES)
    assert save(demo_store, drinker).checkin_id
    with pytest.raises(ValueError, match="PACS.*only .*alcohol"):
        save(demo_store, other, answers=CALM_SCALES | {"pacs": CALM_PACS})
    saved = save(demo_store, other)
    assert rows(demo_store, """SELECT a.instrument FROM checkin_assessments l JOIN assessments a
                               ON a.id = l.assessment_id WHERE l.checkin_id = ? ORDER BY 1""",
                [saved.checkin_id]) == [("craving_vas",), ("gad7",), ("phq9",)]
    assert checkins.every_visit("alcohol")[-1] == "pacs" and "pacs" not in checkins.every_visit("cocaine")


# Issue 25.6: a baseline use log before treatment (Timeline Followback asks for the weeks before it).

SCREENED = NOW.date()
"""The day approved_patient() screens its patient (21 Nov 2026)."""


def test_a_use_day_may_be_up_to_baseline_log_days_before_the_screening_and_no_further():
    def day(before: int, settings=None):
        return followup.use_day(SCREENED - timedelta(days=before), False, None, False, today=SCREENED,
                                earliest=SCREENED, counts_drinks=True, settings=settings)

    assert day(90).day == SCREENED - timedelta(days=90)
    with pytest.raises(ValueError, match=r"Day 22 Aug 2026 is more than 90 days before the patient's screening on "
                                         r"21 Nov 2026; the baseline log starts on 23 Aug 2026 at the earliest"):
        day(91)
    shorter = DEFAULTS.changed(baseline_log_days=30)
    assert day(30, shorter).day == SCREENED - timedelta(days=30)
    with pytest.raises(ValueError, match="more than 30 days before the patient's screening"):
        day(31, shorter)
    assert followup.baseline_start(SCREENED) == SCREENED - timedelta(days=90)


def test_the_baseline_window_is_a_setting_with_its_source_and_a_plausible_range():
    assert DEFAULTS.baseline_log_days == 90
    assert "Timeline Followback" in DEFAULTS.source("baseline_log_days")
    with pytest.raises(ValueError, match="Days of use before the screening .*between 7 and 365 days; got 400"):
        DEFAULTS.changed(baseline_log_days=400)


def test_a_new_patients_use_before_treatment_is_logged_as_a_baseline(demo_store):
    """Seen in issue 25.6: 'Start the log on' and single-day corrections refused any day before the screening, so
    the weeks before treatment that Timeline Followback asks for could not be logged."""
    patient = approved_patient(demo_store, **ALCOHOL)
    ctx = checkins.context(demo_store, THERAPIST, patient, today=VISIT.date())
    assert ctx.log_earliest == SCREENED - timedelta(days=90)
    assert ctx.log_from == SCREENED  # the visit's log still starts at the screening; the baseline is asked for
    baseline = week(SCREENED - timedelta(days=90), d0={"used": True, "drinks": 8}, d3={"used": True, "drinks": 2})
    saved = save(demo_store, patient, days=baseline)
    assert saved.days_added == 7
    assert checkins.correct_day(demo_store, THERAPIST, patient, day=SCREENED - timedelta(days=60), used=True,
                                drinks=6, other_used=False, reason="Timeline followback at intake",
                                now=VISIT) == "added"
    with pytest.raises(ValueError, match="more than 90 days before the patient's screening"):
        checkins.correct_day(demo_store, THERAPIST, patient, day=SCREENED - timedelta(days=91), used=True,
                             drinks=6, other_used=False, reason="Timeline followback at intake", now=VISIT)
    with pytest.raises(ValueError, match="more than 90 days before the patient's screening"):
        save(demo_store, patient, days=week(SCREENED - timedelta(days=91)), at=VISIT + timedelta(days=1))
    assert count(demo_store, "SELECT count(*) FROM substance_use_days WHERE patient_id = ?", [patient]) == 8


def test_the_chart_marks_days_before_the_first_session_as_the_baseline(demo_store):
    patient = approved_patient(demo_store, **ALCOHOL)
    save(demo_store, patient, days=week(SCREENED - timedelta(days=3), d1={"used": True, "drinks": 9}))
    assert set(timeline.use_days(demo_store, NURSE, patient)["period"]) == {timeline.BASELINE}  # no session yet
    session = started(demo_store, patient, at=NOW + timedelta(days=2))
    discharged(demo_store, session, began=NOW + timedelta(days=2))
    days = timeline.use_days(demo_store, NURSE, patient)
    assert days.groupby("period")["day"].count().to_dict() == {timeline.BASELINE: 5, timeline.COURSE: 2}
    summary = timeline.use_by_period(days)
    assert summary.to_dict("records") == [
        {"period": timeline.BASELINE, "days": 5, "use_days": 1, "heavy_days": 1},
        {"period": timeline.COURSE, "days": 2, "use_days": 0, "heavy_days": 0}]


# Issue 25.8: an integration note is dated after the session's discharge, and a signed note takes addenda.

def discharged_at(con, session, at):
    for minute, systolic in ((110, 134), (120, 130)):
        dosing_sessions.add_vitals(con, NURSE, session, minutes_after_dose=minute, **{**CALM, "systolic_bp": systolic},
                                   now=NOW + timedelta(minutes=121))
    dosing_sessions.discharge(con, NURSE, session, craving_after=30, respiratory_depression=False,
                              escort_present=True, left_with="Partner (synthetic)", no_driving_told=True,
                              delivered_mg=35, now=at)


def note(con, patient, session, met_at, now=NOW + timedelta(days=1)):
    return integration_notes.write(con, THERAPIST, patient, session, met_at=met_at, themes="Shame",
                                   reflections="Calmer", plan="Walk", password=THERAPIST_PASSWORD, now=now)


def test_a_note_may_be_dated_from_the_discharge_minute_and_not_a_minute_before(demo_store):
    """Seen in issue 25.8: a note could be dated inside its dosing session, while the patient was still monitored."""
    patient = approved_patient(demo_store)
    session = started(demo_store, patient)
    left = NOW + timedelta(minutes=125, seconds=30)   # discharged at 12:05:30
    discharged_at(demo_store, session, left)
    with pytest.raises(ValueError, match=r"Date and time of the integration session: 21 Nov 2026 12:04 is before "
                                         r"the patient was discharged from the dosing session at 21 Nov 2026 12:05"):
        note(demo_store, patient, session, datetime(2026, 11, 21, 12, 4))
    with pytest.raises(ValueError, match="before the patient was discharged"):
        note(demo_store, patient, session, NOW + timedelta(minutes=30))   # inside the session
    assert count(demo_store, "SELECT count(*) FROM integration_notes WHERE session_id = ?", [session]) == 0
    assert note(demo_store, patient, session, datetime(2026, 11, 21, 12, 5))


def test_the_note_time_rule_works_to_the_minute():
    left = datetime(2026, 11, 21, 12, 5, 30)
    now = datetime(2026, 11, 22, 9)
    assert integration.note_time(datetime(2026, 11, 21, 12, 5), left, now) == datetime(2026, 11, 21, 12, 5)
    with pytest.raises(ValueError, match="Date and time of the integration session: .* before the patient was"):
        integration.note_time(datetime(2026, 11, 21, 12, 4), left, now)
    with pytest.raises(ValueError, match="Date and time of the integration session is in the future"):
        integration.note_time(now + timedelta(minutes=2), left, now)
    assert integration.SOURCE


def test_no_note_is_written_for_a_session_still_in_progress(demo_store):
    patient = approved_patient(demo_store)
    session = started(demo_store, patient)
    with pytest.raises(ValueError, match="still in progress; the integration note follows discharge"):
        note(demo_store, patient, session, NOW + timedelta(hours=1), now=NOW + timedelta(hours=1))


@pytest.mark.parametrize(("booked", "now", "offered"), [
    (datetime(2026, 11, 23, 10, 30), datetime(2026, 11, 24, 9), datetime(2026, 11, 23, 10, 30)),  # the booking
    (None, datetime(2026, 11, 24, 9), datetime(2026, 11, 21, 12, 15)),   # discharge, up to the quarter hour
    (datetime(2026, 11, 25, 10), datetime(2026, 11, 24, 9), datetime(2026, 11, 21, 12, 15)),  # booking still ahead
    (None, datetime(2026, 11, 21, 12, 10), datetime(2026, 11, 21, 12, 5)),   # the quarter hour is ahead: discharge
])
def test_the_time_offered_for_a_note_comes_from_the_booking_else_the_discharge(booked, now, offered):
    assert integration.offered_time(datetime(2026, 11, 21, 12, 5, 30), booked, now) == offered


def test_the_sessions_listed_for_a_note_offer_a_time_after_discharge(demo_store):
    patient = approved_patient(demo_store)
    session = started(demo_store, patient)
    discharged(demo_store, session)
    dosing_sessions.book_integration(demo_store, NURSE, session, NOW + timedelta(days=1, hours=1),
                                     now=NOW + timedelta(hours=3))
    listed = integration_notes.sessions(demo_store, THERAPIST, patient, now=NOW + timedelta(days=2))
    assert listed[["ended_at", "offered_at"]].values.tolist() == [[NOW + timedelta(minutes=125),
                                                                  NOW + timedelta(days=1, hours=1)]]


def test_a_signed_note_takes_addenda_kept_beside_it_and_audited(demo_store):
    patient, session = dosed_and_discharged(demo_store)
    note_id = note(demo_store, patient, session, NOW + timedelta(days=1))
    before = count(demo_store, "SELECT max(id) FROM audit_log")
    later = NOW + timedelta(days=3)
    integration_notes.add_addendum(demo_store, THERAPIST, note_id, " Wrong plan recorded ",
                                   "Plan: call the sponsor twice a week", now=later)
    assert rows(demo_store, "SELECT action, entity FROM audit_log WHERE id > ?", [before]) == [
        ("integration_note_addendum_added", "integration_note_addendum")]
    stored = integration_notes.note_for(demo_store, NURSE, session)
    assert stored.plan == "Walk"   # the signed note never changes
    assert stored.addenda[["added_by", "reason", "text"]].values.tolist() == [
        ["Demo Therapist", "Wrong plan recorded", "Plan: call the sponsor twice a week"]]
    assert list(stored.addenda["added_at"]) == [later]


@pytest.mark.parametrize(("reason", "text", "words"), [
    ("  ", "Plan changed", "Reason for the addendum is required"),
    ("Wrong plan", "", "Addendum is required"),
])
def test_a_bad_addendum_is_refused_by_field_and_nothing_stored(demo_store, reason, text, words):
    patient, session = dosed_and_discharged(demo_store)
    note_id = note(demo_store, patient, session, NOW + timedelta(days=1))
    with pytest.raises(ValueError, match=words):
        integration_notes.add_addendum(demo_store, THERAPIST, note_id, reason, text, now=NOW + timedelta(days=2))
    assert count(demo_store, "SELECT count(*) FROM note_addenda") == 0


def test_only_a_therapist_adds_an_addendum_to_a_note_that_exists(demo_store):
    patient, session = dosed_and_discharged(demo_store)
    note_id = note(demo_store, patient, session, NOW + timedelta(days=1))
    for user in (NURSE, VIEWER):
        with pytest.raises(AccessDenied):
            integration_notes.add_addendum(demo_store, user, note_id, "Wrong plan", "Plan changed")
    with pytest.raises(ValueError, match="That integration note was not found"):
        integration_notes.add_addendum(demo_store, THERAPIST, 999_999, "Wrong plan", "Plan changed")
    assert count(demo_store, "SELECT count(*) FROM note_addenda") == 0
