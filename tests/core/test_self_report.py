"""Patient self-report between visits, through core: issue, open, keep a draft, send, review."""

from datetime import date, datetime, timedelta

import duckdb
import pytest

from core import checkins, db, safety, schema
from core import self_report as sr
from core.access import AccessDenied
from core.rules import self_report as rules
from core.rules.settings import DEFAULTS
from tests.core.test_checkins import THERAPIST, VIEWER
from tests.core.test_dosing_sessions import approved_patient, pending_screening, rows
from tests.core.test_screening_and_approval import NOW, NURSE

DOB = date(1988, 3, 14)
"""The test patient's date of birth (tests/core/test_screening_and_approval.py `valid_raw`)."""
ISSUED = NOW + timedelta(days=3)
SENT = ISSUED + timedelta(days=1, hours=2)
CALM = {"phq9": [1, 1, 0, 1, 0, 1, 0, 0, 0], "craving_vas": [35]}


def issue(con, patient, at=ISSUED, **kwargs):
    kwargs = {"asks": ["phq9", "craving_vas"], "use_log": True, **kwargs}
    return sr.issue(con, NURSE, patient, now=at, **kwargs)


def log(start, end, used=()):
    return [{"day": start + timedelta(days=i), "used": start + timedelta(days=i) in used, "drinks": None,
             "other_used": False} for i in range((end - start).days + 1)]


def opened(con, issued, at=SENT):
    return sr.open_by_token(con, issued.token, now=at)


def sent(con, patient, answers=CALM, at=SENT, **kwargs):
    issued = issue(con, patient, **kwargs)
    access = opened(con, issued, at)
    form = sr.form(con, access, now=at)
    days = log(form.days[0], at.date()) if form.days else []
    return issued, sr.send(con, access, answers, days, now=at)


def state(con, report_id, at=SENT):
    frame = sr.for_patient(con, NURSE, rows(con, "SELECT patient_id FROM self_reports WHERE id = ?",
                                           [report_id])[0][0], now=at)
    return frame.set_index("report_id").loc[report_id, "state"]


def test_the_raw_token_and_kiosk_code_never_reach_the_database_file(demo_store, demo_db):
    patient = approved_patient(demo_store)
    issued = issue(demo_store, patient)
    access = opened(demo_store, issued)
    sr.keep_draft(demo_store, access, {"phq9": [1, None]}, now=SENT)
    demo_store.execute("CHECKPOINT")
    stored = demo_db.read_bytes() + b"".join(p.read_bytes() for p in demo_db.parent.glob(demo_db.name + "*"))
    assert len(issued.token) >= 43 and issued.token.encode() not in stored
    assert rules.digest(issued.token).encode() in stored  # the hash is there: the search itself can find things
    assert rows(demo_store, "SELECT count(*) FROM audit_log WHERE detail LIKE ?", [f"%{issued.token}%"]) == [(0,)]


def test_a_link_opens_the_form_with_the_first_name_only_and_the_days_since_the_last_recorded(demo_store):
    patient = approved_patient(demo_store)
    visit = NOW + timedelta(days=1, hours=1)
    checkins.record(demo_store, THERAPIST, patient, visit_at=visit,
                    answers={"phq9": CALM["phq9"], "gad7": [0] * 7, "craving_vas": [20]},
                    use_days=log(NOW.date(), visit.date()), now=visit)
    issued = issue(demo_store, patient, at=NOW + timedelta(days=3))
    form = sr.form(demo_store, opened(demo_store, issued), now=SENT)
    assert form.first_name == "Robin" and form.asks == ("phq9", "craving_vas")
    assert form.days[0] == NOW.date() + timedelta(days=2) and form.days[-1] == SENT.date()
    assert set(vars(form)) == {"first_name", "asks", "days", "counts_drinks", "expires_at", "draft"}


def test_a_used_expired_or_cancelled_token_is_refused_in_one_plain_message(demo_store):
    patient = approved_patient(demo_store)
    used, _ = sent(demo_store, patient)
    with pytest.raises(sr.Refused, match="does not work"):
        opened(demo_store, used)
    expired = issue(demo_store, patient)
    with pytest.raises(sr.Refused, match="does not work"):
        opened(demo_store, expired, at=ISSUED + timedelta(days=DEFAULTS.self_report_valid_days))
    assert opened(demo_store, expired, at=ISSUED + timedelta(days=DEFAULTS.self_report_valid_days, seconds=-1))
    cancelled = issue(demo_store, patient)
    access = opened(demo_store, cancelled)
    sr.cancel(demo_store, NURSE, cancelled.report_id, now=SENT)
    for attempt in (lambda: opened(demo_store, cancelled), lambda: sr.form(demo_store, access, now=SENT),
                    lambda: sr.send(demo_store, access, CALM, [], now=SENT)):
        with pytest.raises(sr.Refused, match="does not work"):
            attempt()
    with pytest.raises(sr.Refused, match="does not work"):
        sr.open_by_token(demo_store, "not-a-token", now=SENT)
    assert state(demo_store, used.report_id) == "sent" and state(demo_store, cancelled.report_id) == "cancelled"
    assert state(demo_store, expired.report_id, at=SENT + timedelta(days=5)) == "expired"


def test_an_open_session_loses_the_form_once_the_patient_has_sent_it(demo_store):
    patient = approved_patient(demo_store)
    issued = issue(demo_store, patient)
    first, second = opened(demo_store, issued), opened(demo_store, issued)
    days = log(sr.form(demo_store, first, now=SENT).days[0], SENT.date())
    sr.send(demo_store, first, CALM, days, now=SENT)
    with pytest.raises(sr.Refused):
        sr.send(demo_store, second, CALM, days, now=SENT)
    assert rows(demo_store, "SELECT count(*) FROM self_report_answers WHERE report_id = ?", [issued.report_id]) \
        == [(1,)]


def test_wrong_codes_are_rate_limited_but_a_working_link_still_opens(demo_store):
    """Chromium review: after ten mistakes from one address (a clinic's shared Wi-Fi, its kiosk), another patient's
    valid link was refused for 15 minutes. A link's 256-bit token cannot be guessed, so a working one always opens;
    the wrong ones from that address are slowed."""
    for _ in range(rules.WRONG_CODE_LIMIT):
        with pytest.raises(sr.Refused, match="does not work"):
            sr.open_by_token(demo_store, "guess", source="10.0.0.9", now=SENT)
    with pytest.raises(sr.Refused, match="Too many tries"):
        sr.open_by_token(demo_store, "another guess", source="10.0.0.9", now=SENT)
    issued = issue(demo_store, approved_patient(demo_store))
    assert sr.open_by_token(demo_store, issued.token, source="10.0.0.9", now=SENT)
    with pytest.raises(sr.Refused, match="does not work"):
        sr.open_by_token(demo_store, "guess", source="10.0.0.9", now=SENT + rules.WRONG_CODE_WINDOW)


def test_a_kiosk_code_needs_the_date_of_birth_and_locks_after_a_few_wrong_ones(demo_store):
    patient = approved_patient(demo_store)
    issued = issue(demo_store, patient)
    typed = issued.kiosk_code.lower()[:3] + " " + issued.kiosk_code[3:]
    access = sr.open_by_kiosk(demo_store, typed, "14.03.1988", now=SENT)
    assert sr.form(demo_store, access, now=SENT).first_name == "Robin"
    with pytest.raises(ValueError, match="Date of birth: type it as day.month.year"):
        sr.open_by_kiosk(demo_store, issued.kiosk_code, "03/04/1988", now=SENT)  # not counted as a wrong date
    for _ in range(rules.KIOSK_MAX_FAILURES):
        with pytest.raises(sr.Refused, match="does not work"):
            sr.open_by_kiosk(demo_store, issued.kiosk_code, date(1988, 3, 15), source="kiosk", now=SENT)
    with pytest.raises(sr.Refused, match="does not work"):
        sr.open_by_kiosk(demo_store, issued.kiosk_code, DOB, now=SENT)
    assert opened(demo_store, issued)  # the link itself still works


def test_a_half_filled_form_is_kept_for_the_patient_and_not_in_the_chart(demo_store):
    patient = approved_patient(demo_store)
    issued = issue(demo_store, patient)
    before = rows(demo_store, "SELECT count(*) FROM assessments WHERE patient_id = ?", [patient])
    sr.keep_draft(demo_store, opened(demo_store, issued), {"phq9": [1, 2, None]}, now=SENT)
    assert sr.form(demo_store, opened(demo_store, issued), now=SENT).draft == {"phq9": [1, 2, None]}
    assert rows(demo_store, "SELECT count(*) FROM assessments WHERE patient_id = ?", [patient]) == before
    later = ISSUED + timedelta(days=5)
    other = issue(demo_store, patient, at=later - timedelta(hours=1))
    sr.keep_draft(demo_store, opened(demo_store, other, at=later), {}, now=later)
    assert rows(demo_store, "SELECT report_id FROM self_report_drafts ORDER BY 1") == [(other.report_id,)]


def test_every_answer_is_checked_and_a_day_outside_the_range_is_refused_by_name(demo_store):
    patient = approved_patient(demo_store)
    issued = issue(demo_store, patient)
    access = opened(demo_store, issued)
    days = log(sr.form(demo_store, access, now=SENT).days[0], SENT.date())
    with pytest.raises(ValueError, match="PHQ-9") as caught:
        sr.send(demo_store, access, {"phq9": [1] * 8 + [None], "craving_vas": [101]}, days, now=SENT)
    assert "craving" in str(caught.value).lower()
    outside = days + [{"day": days[0]["day"] - timedelta(days=1), "used": False, "drinks": None,
                       "other_used": False}]
    with pytest.raises(ValueError, match=f"Day {days[0]['day'] - timedelta(days=1):%d %b %Y} is not one of the days"):
        sr.send(demo_store, access, CALM, outside, now=SENT)
    with pytest.raises(ValueError, match="say whether you used"):
        sr.send(demo_store, access, CALM, days[1:], now=SENT)
    with pytest.raises(ValueError, match="not asked"):
        sr.send(demo_store, access, {**CALM, "gad7": [0] * 7}, days, now=SENT)
    assert rows(demo_store, "SELECT count(*) FROM self_report_answers") == [(0,)]


def test_item_9_above_0_raises_the_same_day_follow_up_named_as_self_report_and_the_crisis_text(demo_store):
    patient = approved_patient(demo_store)
    issued, result = sent(demo_store, patient, answers={"phq9": [0] * 8 + [1], "craving_vas": [10]})
    assert result.crisis and "988" in result.message
    waiting = safety.open_followups(demo_store, NURSE)
    mine = waiting[waiting["patient_id"] == patient]
    assert list(mine["occasion"]) == ["self-report"] and list(mine["raised_at"]) == [SENT]
    assert [f.self_report_id for f in safety.for_patient(demo_store, NURSE, patient)] == [issued.report_id]


def test_an_alarming_answer_kept_before_send_raises_the_follow_up_once(demo_store):
    """Chromium review: a patient who answered item 9 'nearly every day' and closed the tab was never shown the
    crisis message, and Home listed no follow-up. The answer kept as the form is filled raises it, once."""
    patient = approved_patient(demo_store)
    issued = issue(demo_store, patient)
    access = opened(demo_store, issued)

    def raised():
        return [f.self_report_id for f in safety.for_patient(demo_store, NURSE, patient)]

    sr.keep_draft(demo_store, access, {"answers": {"phq9": [3] * 8 + [None], "craving_vas": [89]}}, now=SENT)
    assert raised() == []
    sr.keep_draft(demo_store, access, {"answers": {"phq9": [0] * 8 + [3], "craving_vas": [None]}}, now=SENT)
    assert raised() == [issued.report_id]
    sr.keep_draft(demo_store, access, {"answers": {"phq9": [0] * 8 + [3], "craving_vas": [95]}}, now=SENT)
    days = log(sr.form(demo_store, access, now=SENT).days[0], SENT.date())
    result = sr.send(demo_store, access, {"phq9": [0] * 8 + [3], "craving_vas": [95]}, days, now=SENT)
    assert result.crisis and raised() == [issued.report_id]


def test_an_urgent_craving_raises_it_too_and_the_clinic_number_is_shown(demo_store):
    patient = approved_patient(demo_store)
    clinic = DEFAULTS.changed(crisis_phone="555-0100", self_report_urgent_craving=80)
    issued = issue(demo_store, patient)
    access = opened(demo_store, issued)
    days = log(sr.form(demo_store, access, now=SENT).days[0], SENT.date())
    result = sr.send(demo_store, access, {"phq9": [0] * 9, "craving_vas": [80]}, days, now=SENT, settings=clinic)
    assert result.crisis and "555-0100" in result.message and "988" in result.message
    _, calm = sent(demo_store, patient, answers={"phq9": [0] * 9, "craving_vas": [89]})
    assert not calm.crisis and calm.message is None


def test_only_accepted_answers_reach_the_record_and_the_outcomes(demo_store):
    patient = approved_patient(demo_store)
    issued, _ = sent(demo_store, patient, answers={"phq9": [2] * 9, "craving_vas": [40]})
    assert rows(demo_store, "SELECT count(*) FROM assessments WHERE patient_id = ? AND taken_at = ?",
                [patient, SENT]) == [(0,)]
    (pending,) = sr.pending(demo_store, THERAPIST, patient)
    assert dict(pending.scores)["phq9"].total == 18 and pending.days[-1].day == SENT.date()
    checkin_id = sr.accept(demo_store, THERAPIST, issued.report_id, now=SENT + timedelta(hours=3))
    assert rows(demo_store, "SELECT instrument, total FROM assessments a JOIN checkin_assessments l "
                            "ON l.assessment_id = a.id WHERE l.checkin_id = ? ORDER BY 1", [checkin_id]) \
        == [("craving_vas", 40), ("phq9", 18)]
    assert rows(demo_store, "SELECT visit_at FROM checkins WHERE id = ?", [checkin_id]) == [(SENT,)]
    assert rows(demo_store, "SELECT max(day) FROM substance_use_days WHERE patient_id = ?", [patient]) \
        == [(SENT.date(),)]
    assert sr.pending(demo_store, THERAPIST, patient) == []
    assert state(demo_store, issued.report_id) == "accepted"
    with pytest.raises(ValueError, match="Already accepted by Demo Therapist"):
        sr.reject(demo_store, NURSE, issued.report_id, "Wrong patient", now=SENT + timedelta(hours=4))


def test_a_rejected_report_stays_out_with_its_reason(demo_store):
    patient = approved_patient(demo_store)
    issued, _ = sent(demo_store, patient)
    with pytest.raises(ValueError, match="Reason for rejecting"):
        sr.reject(demo_store, NURSE, issued.report_id, "  ", now=SENT)
    sr.reject(demo_store, NURSE, issued.report_id, "Patient says a relative filled it in", now=SENT)
    assert rows(demo_store, "SELECT count(*) FROM assessments WHERE patient_id = ? AND taken_at = ?",
                [patient, SENT]) == [(0,)]
    frame = sr.for_patient(demo_store, NURSE, patient, now=SENT).set_index("report_id")
    assert frame.loc[issued.report_id, ["state", "reason"]].tolist() == ["rejected",
                                                                         "Patient says a relative filled it in"]
    assert rows(demo_store, "SELECT action FROM audit_log ORDER BY id DESC LIMIT 1") == [("self_report_rejected",)]


def test_accepting_a_day_already_recorded_otherwise_needs_a_correction_reason(demo_store):
    patient = approved_patient(demo_store)
    issued, _ = sent(demo_store, patient)
    first_day = sr.pending(demo_store, NURSE, patient)[0].days[0].day
    checkins.correct_day(demo_store, NURSE, patient, day=first_day, used=True, drinks=None, other_used=False,
                         reason="Phoned in", now=SENT + timedelta(hours=1))
    with pytest.raises(ValueError, match="already recorded.*give a reason"):
        sr.accept(demo_store, NURSE, issued.report_id, now=SENT + timedelta(hours=2))
    assert sr.pending(demo_store, NURSE, patient)
    sr.accept(demo_store, NURSE, issued.report_id, "Patient's own log is the better record",
              now=SENT + timedelta(hours=2))
    assert rows(demo_store, "SELECT used FROM substance_use_days WHERE patient_id = ? AND day = ?",
                [patient, first_day]) == [(False,)]


def test_issuing_is_for_clinical_roles_and_approved_patients_with_the_right_scales(demo_store):
    patient = approved_patient(demo_store)
    with pytest.raises(AccessDenied):
        sr.issue(demo_store, VIEWER, patient, asks=["phq9"], use_log=False, now=ISSUED)
    with pytest.raises(ValueError, match="PACS: asked only when alcohol"):
        issue(demo_store, patient, asks=["pacs"])
    with pytest.raises(ValueError, match="choose at least one"):
        issue(demo_store, patient, asks=[], use_log=False)
    with pytest.raises(ValueError, match="Valid for: between 1 and 14 days"):
        issue(demo_store, patient, valid_days=15)
    waiting = pending_screening(demo_store, mrn="NEW-0002", last_name="Otherperson").patient_id
    with pytest.raises(ValueError, match="approved patients"):
        issue(demo_store, waiting)
    issued = issue(demo_store, patient, valid_days=1)
    assert issued.expires_at == ISSUED + timedelta(days=1) and len(issued.kiosk_code) == 6
    assert set(issued.kiosk_code) <= set(rules.KIOSK_ALPHABET)
    assert rows(demo_store, "SELECT action FROM audit_log ORDER BY id DESC LIMIT 1") == [("self_report_issued",)]


def test_cancel_refuses_a_sent_report_and_home_lists_the_open_and_sent(demo_store):
    patient = approved_patient(demo_store)
    done, _ = sent(demo_store, patient)
    with pytest.raises(ValueError, match="sent and waiting for review"):
        sr.cancel(demo_store, NURSE, done.report_id, now=SENT)
    waiting = issue(demo_store, patient)
    listed = sr.recent(demo_store, THERAPIST, now=SENT)
    assert list(listed["report_id"][:2]) == [done.report_id, waiting.report_id]
    assert list(listed["state"][:2]) == ["sent", "open"]


def test_outcomes_count_accepted_self_reports_only(demo_store):
    """Only accepted data counts: a pending report adds nothing to what outcomes read (the assessments and the
    use log), an accepted one is there as a check-in's answers are."""
    patient = approved_patient(demo_store)
    issued, _ = sent(demo_store, patient, answers={"phq9": [3] * 8 + [0], "craving_vas": [40]})
    read = "SELECT count(*) FROM assessments WHERE patient_id = ? AND instrument = 'phq9'"
    before = rows(demo_store, read, [patient])
    sr.accept(demo_store, NURSE, issued.report_id, now=SENT)
    assert rows(demo_store, read, [patient])[0][0] == before[0][0] + 1


def test_migration_14_keeps_follow_ups_and_allows_exactly_one_origin(tmp_path, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(schema, "MIGRATIONS", [mig for mig in schema.MIGRATIONS if mig[0] < 14])
        con = db.open_store(tmp_path / "old.duckdb")
    con.execute("INSERT INTO users (username, display_name, role, password_hash, created_at) "
                "VALUES ('n', 'N', 'nurse', '$argon2id$x', now())")
    con.execute("INSERT INTO patients (mrn, first_name, last_name, date_of_birth, sex, primary_substance, status, "
                "created_at) VALUES ('X-1', 'A', 'B', DATE '1980-01-01', 'male', 'alcohol', 'approved', now())")
    con.execute("INSERT INTO checkins (patient_id, visit_at, recorded_by, recorded_at) VALUES (1, now(), 1, now())")
    con.execute("INSERT INTO safety_followups (patient_id, checkin_id, raised_at) VALUES (1, 1, now())")
    con.execute("INSERT INTO safety_assessments (followup_id, assessed_at, assessed_by, outcome, note) "
                "VALUES (1, now(), 1, 'safety_plan', 'ok')")
    assert schema.migrate(con) == [14]
    assert rows(con, "SELECT f.id, f.checkin_id, f.self_report_id, a.outcome FROM safety_followups f "
                     "JOIN safety_assessments a ON a.followup_id = f.id") == [(1, 1, None, "safety_plan")]
    with pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO safety_followups (patient_id, raised_at) VALUES (1, now())")
    assert rows(con, "SELECT nextval('safety_followups_id_seq')")[0][0] >= 2


def test_the_crisis_rule_reads_answers_still_being_given():
    assert rules.crisis_so_far({"phq9": [None] * 8 + [1]}) and rules.crisis_so_far({"craving_vas": [90]})
    assert not rules.crisis_so_far({"phq9": [3] * 8 + [0], "craving_vas": [89]})
    assert not rules.crisis_so_far({"phq9": [3] * 8}) and not rules.crisis_so_far({"craving_vas": [None]})
    assert not rules.crisis_so_far({"phq9": [None] * 8 + ["1"], "craving_vas": [900]}) and not rules.crisis_so_far(None)


def test_the_crisis_rule_reads_item_9_and_the_urgent_craving():
    from core.rules.instruments import score
    assert rules.crisis_reasons({"phq9": score("phq9", [0] * 8 + [1])})
    assert not rules.crisis_reasons({"phq9": score("phq9", [3] * 8 + [0])})
    assert rules.crisis_reasons({"craving_vas": score("craving_vas", [90])})
    assert not rules.crisis_reasons({"craving_vas": score("craving_vas", [89])})
    assert "555" not in rules.crisis_message() and "988" in rules.crisis_message()
    with pytest.raises(ValueError, match="phone number"):
        DEFAULTS.changed(crisis_phone="call me")
    assert rules.expires(datetime(2026, 12, 1, 9), None) == datetime(2026, 12, 5, 9)


def test_a_patient_s_kept_answers_are_autosaves_in_the_audit_log(demo_store):
    from core import audit_log
    from tests.core.test_audit_log import ADMIN

    patient = approved_patient(demo_store)
    issued = issue(demo_store, patient)
    sr.keep_draft(demo_store, opened(demo_store, issued), {"phq9": [1]}, now=SENT)
    (newest,) = demo_store.execute("SELECT max(id) FROM audit_log").fetchone()
    shown = audit_log.page(demo_store, ADMIN).rows
    assert newest not in set(shown["id"]) and "self_report_issued" in set(shown["action"])
    assert newest in set(audit_log.page(demo_store, ADMIN, autosaves=True).rows["id"])
