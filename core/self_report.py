"""Patient self-report between visits: a request staff issue, the form a patient fills in without an account, and
the clinician's review that lets the answers into the record.

Most days of a course happen between visits, and the outcomes are only as good as the use log and scales behind
them. The patient gets a link (or its QR code) holding a random token, or a 6-character code for the clinic's kiosk
with their date of birth as second factor. Only hashes of either are stored. What the patient sends waits as a
pending self-report: nothing reaches the chart or the outcomes until a clinician accepts it, when it is stored as a
check-in (core/checkins.py `store`) under the same correction rules. An answer that calls for it raises the same-day
safety follow-up at once, on sending, whatever the review later decides.

Staff functions take the signed-in user and check the role from the database; the patient's functions take the
`Access` that opening the link or code returned, and re-check on every call that the request is still open.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

from core import checkins, db, safety
from core.access import STAFF, User, require
from core.rules import followup, instruments, validate
from core.rules import self_report as rules
from core.rules.settings import Settings

ISSUERS = checkins.RECORDERS
NO_PATIENT = "That patient was not found"
NO_REQUEST = "That self-report request was not found"
MAX_REASON = 1000
HOME_DAYS = 14
"""Home lists the requests issued in the last two weeks: a link lives at most 14 days."""
HOME_ROWS = 50

PATIENT_SQL = "SELECT first_name, status, primary_substance FROM patients WHERE id = ?"
INSERT_SQL = """
    INSERT INTO self_reports (patient_id, asks, use_log, log_from, token_hash, kiosk_hash, issued_by, issued_at,
                              expires_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"""
KIOSK_TAKEN_SQL = """
    SELECT 1 FROM self_reports r WHERE r.kiosk_hash = ? AND r.expires_at > ?
      AND NOT EXISTS (SELECT 1 FROM self_report_answers a WHERE a.report_id = r.id)
      AND NOT EXISTS (SELECT 1 FROM self_report_cancellations c WHERE c.report_id = r.id)"""
STATE_SQL = """
    CASE WHEN v.decision IS NOT NULL THEN v.decision
         WHEN a.report_id IS NOT NULL THEN 'sent'
         WHEN c.report_id IS NOT NULL THEN 'cancelled'
         WHEN r.expires_at <= $now THEN 'expired'
         ELSE 'open' END"""
LIST_SQL = f"""
    SELECT r.id AS report_id, r.patient_id, p.last_name || ', ' || p.first_name AS patient, p.mrn AS chart_number,
           r.asks, r.use_log, r.issued_at, u.display_name AS issued_by, r.expires_at, a.sent_at, a.crisis,
           {STATE_SQL} AS state, rv.display_name AS reviewed_by, v.reviewed_at, v.reason
    FROM self_reports r
    JOIN patients p ON p.id = r.patient_id
    LEFT JOIN users u ON u.id = r.issued_by
    LEFT JOIN self_report_answers a ON a.report_id = r.id
    LEFT JOIN self_report_cancellations c ON c.report_id = r.id
    LEFT JOIN self_report_reviews v ON v.report_id = r.id
    LEFT JOIN users rv ON rv.id = v.reviewed_by"""
FOR_PATIENT_SQL = LIST_SQL + " WHERE r.patient_id = $patient ORDER BY r.issued_at DESC, r.id DESC"
RECENT_SQL = LIST_SQL + f"""
    WHERE r.issued_at >= $since OR (a.report_id IS NOT NULL AND v.report_id IS NULL)
    ORDER BY CASE {STATE_SQL} WHEN 'sent' THEN 0 WHEN 'open' THEN 1 ELSE 2 END, r.issued_at DESC, r.id DESC
    LIMIT {HOME_ROWS}"""
ONE_SQL = LIST_SQL + " WHERE r.id = $report"
OPEN_BY_TOKEN_SQL = "SELECT id FROM self_reports WHERE token_hash = ?"
OPEN_BY_KIOSK_SQL = """
    SELECT r.id, p.date_of_birth FROM self_reports r JOIN patients p ON p.id = r.patient_id
    WHERE r.kiosk_hash = ? ORDER BY r.issued_at DESC LIMIT 1"""
FORM_SQL = """
    SELECT r.id, r.patient_id, p.first_name, p.primary_substance, p.sex, r.asks, r.use_log, r.log_from, r.expires_at,
           r.token_hash, r.kiosk_hash, d.content
    FROM self_reports r JOIN patients p ON p.id = r.patient_id
    LEFT JOIN self_report_drafts d ON d.report_id = r.id
    WHERE r.id = ?"""
REFUSALS_SQL = """
    SELECT count(*) FROM audit_log WHERE action = 'self_report_refused'
      AND TRY_CAST(json_extract_string(detail, '$.at') AS TIMESTAMP) > ?
      AND coalesce(json_extract_string(detail, '$.source'), '') = ?"""
KIOSK_FAILURES_SQL = """
    SELECT count(*) FROM audit_log WHERE action = 'self_report_refused' AND entity = 'self_report' AND entity_id = ?
      AND json_extract_string(detail, '$.attempt') = 'kiosk_date_of_birth'"""
CANCEL_SQL = "INSERT INTO self_report_cancellations (report_id, cancelled_by, cancelled_at) VALUES (?, ?, ?)"
DRAFT_SQL = "INSERT OR REPLACE INTO self_report_drafts (report_id, content, updated_at) VALUES (?, ?, ?)"
DROP_DRAFT_SQL = "DELETE FROM self_report_drafts WHERE report_id = ?"
PURGE_DRAFTS_SQL = """
    DELETE FROM self_report_drafts WHERE report_id IN (
        SELECT r.id FROM self_reports r WHERE r.expires_at <= ?
        UNION ALL SELECT report_id FROM self_report_cancellations)"""
RAISED_SQL = "SELECT count(*) FROM safety_followups WHERE self_report_id = ?"
SEND_SQL = "INSERT INTO self_report_answers (report_id, sent_at, answers, use_days, crisis) VALUES (?, ?, ?, ?, ?)"
SENT_SQL = """
    SELECT r.patient_id, a.sent_at, a.answers, a.use_days
    FROM self_report_answers a JOIN self_reports r ON r.id = a.report_id WHERE a.report_id = ?"""
REVIEWED_SQL = """
    SELECT v.decision, u.display_name, v.reviewed_at
    FROM self_report_reviews v LEFT JOIN users u ON u.id = v.reviewed_by WHERE v.report_id = ?"""
SEX_SQL = "SELECT sex FROM patients WHERE id = ?"
PENDING_SQL = """
    SELECT a.report_id, a.sent_at, a.answers, a.use_days, a.crisis
    FROM self_report_answers a JOIN self_reports r ON r.id = a.report_id
    WHERE r.patient_id = ? AND NOT EXISTS (SELECT 1 FROM self_report_reviews v WHERE v.report_id = a.report_id)
    ORDER BY a.sent_at, a.report_id"""
REVIEW_SQL = """
    INSERT INTO self_report_reviews (report_id, decision, reason, checkin_id, reviewed_by, reviewed_at)
    VALUES (?, ?, ?, ?, ?, ?)"""


@dataclass(frozen=True)
class Issued:
    """What staff hand the patient, shown once: the raw token and kiosk code are stored nowhere."""

    report_id: int
    token: str
    kiosk_code: str
    expires_at: datetime


@dataclass(frozen=True)
class Access:
    """What opening a link or kiosk code gives the patient's session, in place of the token: the request and the
    hash it was opened by, checked again on every later call."""

    report_id: int
    proof: str


@dataclass(frozen=True)
class Form:
    """What the patient's page may show: the first name and the questions, nothing else of the chart."""

    first_name: str
    asks: tuple[str, ...]
    days: tuple[date, ...]
    counts_drinks: bool
    expires_at: datetime
    draft: dict


@dataclass(frozen=True)
class Sent:
    crisis: bool
    message: str | None
    """The crisis message to show the patient at once, when the answers call for it."""


@dataclass(frozen=True)
class Pending:
    """A sent self-report waiting for review, scored for the clinician (nothing of it is in the record yet)."""

    report_id: int
    sent_at: datetime
    scores: tuple[tuple[str, instruments.ScoreResult], ...]
    days: tuple[followup.UseDay, ...]
    crisis: bool


class Refused(ValueError):
    """A link or code that does not open a form: always one of the two plain messages in core.rules.self_report."""


# Staff: issue, list, cancel

def issue(con, user: User, patient_id: int, *, asks, use_log: bool, valid_days=None, now: datetime | None = None,
          settings: Settings | None = None) -> Issued:
    """Issue a request for an approved patient: the scales to ask (of `rules.ASKABLE`; the PACS only when alcohol is
    the primary substance), whether to ask the use log from the first day not yet recorded, and the days it stays
    valid (the clinic's default when None)."""
    user = require(con, user, ISSUERS)
    now = now or datetime.now()
    patient_id = validate.record_id(patient_id, NO_PATIENT)
    if not isinstance(use_log, bool):
        raise ValueError("Use log: tick the box or leave it empty")
    asked = validate.choices(asks, "Questionnaires", rules.ASKABLE)
    expires_at = rules.expires(now, valid_days, settings)
    with db.read(con) as cur:
        row = cur.execute(PATIENT_SQL, [patient_id]).fetchone()
        if row is None:
            raise ValueError(NO_PATIENT)
        _, status, substance = row
        if status != "approved":
            raise ValueError("Self-report is for approved patients; this patient is not approved for treatment")
        if "pacs" in asked and substance != "alcohol":
            raise ValueError("PACS: asked only when alcohol is the primary substance")
        if not asked and not use_log:
            raise ValueError("Questionnaires: choose at least one, or ask for the use log")
        log_from = checkins.context_in(cur, patient_id, now.date(), settings).log_from if use_log else None
    ordered = [i for i in rules.ASKABLE if i in asked]
    token = rules.new_token()
    with db.transaction(con) as cur:
        code = _free_kiosk_code(cur, now)
        (report_id,) = cur.execute(INSERT_SQL, [patient_id, json.dumps(ordered), use_log, log_from,
                                                rules.digest(token), rules.digest(code), user.id, now,
                                                expires_at]).fetchone()
        db.audit(cur, user.id, "self_report_issued", "self_report", report_id,
                 {"patient_id": patient_id, "instruments": ordered, "use_log": use_log,
                  "expires_at": expires_at.isoformat(timespec="minutes")})
    return Issued(report_id, token, code, expires_at)


def _free_kiosk_code(cur, now: datetime) -> str:
    """A code no open request holds, so a code and date of birth name one request (31^6, about 900 million codes,
    against a clinic's few dozen open ones: a clash is rare and simply drawn again)."""
    while True:
        code = rules.new_kiosk_code()
        if not cur.execute(KIOSK_TAKEN_SQL, [rules.digest(code), now]).fetchall():
            return code


def for_patient(con, user: User, patient_id: int, now: datetime | None = None) -> pd.DataFrame:
    """The patient's requests, newest first, each with its state (`STATE_WORDS`)."""
    require(con, user, STAFF)
    patient_id = validate.record_id(patient_id, NO_PATIENT)
    with db.read(con) as cur:
        return cur.execute(FOR_PATIENT_SQL, {"patient": patient_id, "now": now or datetime.now()}).df()


def recent(con, user: User, now: datetime | None = None) -> pd.DataFrame:
    """For Home: sent reports waiting for review first, then open requests, then the rest of the last two weeks."""
    require(con, user, STAFF)
    now = now or datetime.now()
    with db.read(con) as cur:
        return cur.execute(RECENT_SQL, {"now": now, "since": now - timedelta(days=HOME_DAYS)}).df()


def _state(cur, report_id: int, now: datetime) -> dict:
    rows = cur.execute(ONE_SQL, {"report": report_id, "now": now}).df()
    if rows.empty:
        raise ValueError(NO_REQUEST)
    return rows.iloc[0].to_dict()


def cancel(con, user: User, report_id: int, now: datetime | None = None) -> None:
    """Cancel a request the patient has not sent: its link and code stop working at once."""
    user = require(con, user, ISSUERS)
    now = now or datetime.now()
    report_id = validate.record_id(report_id, NO_REQUEST)
    with db.transaction(con) as cur:
        row = _state(cur, report_id, now)
        if row["state"] != "open":
            raise ValueError(f"This request cannot be cancelled: it is {STATE_WORDS[row['state']]}")
        cur.execute(CANCEL_SQL, [report_id, user.id, now])
        cur.execute(DROP_DRAFT_SQL, [report_id])
        db.audit(cur, user.id, "self_report_cancelled", "self_report", report_id, {"patient_id": row["patient_id"]})


STATE_WORDS = {"open": "still open", "sent": "sent and waiting for review", "accepted": "accepted",
               "rejected": "rejected", "cancelled": "cancelled", "expired": "expired"}
"""Every state a request is in (STATE_SQL): open, waiting for the patient; sent, waiting for review; then accepted or
rejected. A request that was never sent ends cancelled or expired."""


# The patient: open, keep a draft, send

def open_by_token(con, token, *, source: str | None = None, now: datetime | None = None) -> Access:
    """The request a link's token opens, while it is open; `Refused` with one plain message otherwise."""
    now = now or datetime.now()
    proof = rules.digest(str(token or ""))
    with db.read(con) as cur:
        row = cur.execute(OPEN_BY_TOKEN_SQL, [proof]).fetchone()
        usable = row is not None and _state(cur, row[0], now)["state"] == "open"
    if not usable:  # a link that works opens whatever others got wrong from the same address (a shared clinic Wi-Fi)
        _not_too_many(con, source, now)
        _refuse(con, row[0] if row else None, "link", source, now)
    return Access(row[0], proof)


def open_by_kiosk(con, code, date_of_birth, *, source: str | None = None, now: datetime | None = None) -> Access:
    """The request a kiosk code opens with the patient's date of birth (a date, or typed as 14.03.1988 or
    1988-03-14); the code locks after `rules.KIOSK_MAX_FAILURES` wrong dates. A date that cannot be read is no
    attempt: it is refused in words, and counts towards nothing."""
    now = now or datetime.now()
    born = validate.as_date(date_of_birth)
    if born is None or isinstance(date_of_birth, str) and validate.ambiguity(date_of_birth):
        raise ValueError("Date of birth: type it as day.month.year, for example 14.03.1988")
    _not_too_many(con, source, now)
    proof = rules.digest(rules.kiosk_form(code))
    with db.read(con) as cur:
        row = cur.execute(OPEN_BY_KIOSK_SQL, [proof]).fetchone()
        report_id = row[0] if row else None
        usable = row is not None and _state(cur, report_id, now)["state"] == "open"
        locked = usable and cur.execute(KIOSK_FAILURES_SQL, [report_id]).fetchone()[0] >= rules.KIOSK_MAX_FAILURES
    if not usable or locked:
        _refuse(con, report_id, "kiosk_code", source, now)
    if born != row[1]:
        _refuse(con, report_id, "kiosk_date_of_birth", source, now)
    return Access(report_id, proof)


def _not_too_many(con, source: str | None, now: datetime) -> None:
    with db.read(con) as cur:
        (refused,) = cur.execute(REFUSALS_SQL, [now - rules.WRONG_CODE_WINDOW, source or ""]).fetchone()
    if refused >= rules.WRONG_CODE_LIMIT:
        raise Refused(rules.TOO_MANY)


def _refuse(con, report_id: int | None, by: str, source: str | None, now: datetime) -> None:
    """Audit the refused attempt (what the limit and the kiosk lock count), then refuse in the one plain message."""
    with db.transaction(con) as cur:
        db.audit(cur, None, "self_report_refused", "self_report" if report_id else "", report_id,
                 {"attempt": by, "at": now.isoformat(timespec="seconds"), **({"source": source} if source else {})})
    raise Refused(rules.NOT_WORKING)


def _open(cur, access: Access, now: datetime) -> tuple:
    """The request's row, if `access` still opens it (open, not sent, cancelled or expired)."""
    if not isinstance(access, Access):
        raise Refused(rules.NOT_WORKING)
    row = cur.execute(FORM_SQL, [access.report_id]).fetchone()
    if row is None or access.proof not in (row[9], row[10]) or _state(cur, access.report_id, now)["state"] != "open":
        raise Refused(rules.NOT_WORKING)
    return row


def form(con, access: Access, now: datetime | None = None) -> Form:
    """The questions and any answers kept from an earlier visit to the link."""
    now = now or datetime.now()
    with db.read(con) as cur:
        _, _, first_name, substance, _, asks, use_log, log_from, expires_at, _, _, draft = _open(cur, access, now)
    days = tuple(rules.days_asked(log_from, now.date())) if use_log else ()
    return Form(first_name, tuple(json.loads(asks)), days, substance == "alcohol", expires_at,
                json.loads(draft) if draft else {})


def keep_draft(con, access: Access, content: dict, now: datetime | None = None,
               settings: Settings | None = None) -> None:
    """Keep the half-filled form on the server until the link expires (never in the chart). An answer that calls
    for the crisis message raises the same-day follow-up now, once, whether or not the form is ever sent."""
    now = now or datetime.now()
    if not isinstance(content, dict):
        raise ValueError("Answers: the form did not arrive; fill it in again")
    text = json.dumps(content, default=str, sort_keys=True)
    if len(text) > 20_000:
        raise ValueError("Answers: the form is larger than any answers to it")
    with db.transaction(con) as cur:
        row = _open(cur, access, now)
        cur.execute(PURGE_DRAFTS_SQL, [now])
        cur.execute(DRAFT_SQL, [access.report_id, text, now])
        raised = _raise_once(cur, row[1], access.report_id, rules.crisis_so_far(content.get("answers"), settings),
                             now)
        db.audit(cur, None, "self_report_draft_kept", "self_report", access.report_id,
                 {"patient_id": row[1], **({"safety_followup": True} if raised else {})})


def _raise_once(cur, patient_id: int, report_id: int, reasons: list, now: datetime) -> bool:
    """The request's same-day follow-up, unless it was raised already (by an answer before Send)."""
    if not reasons or cur.execute(RAISED_SQL, [report_id]).fetchone()[0]:
        return False
    safety.raise_followup(cur, patient_id, now, self_report_id=report_id)
    return True


def send(con, access: Access, answers: dict, use_days: list[dict], now: datetime | None = None,
         settings: Settings | None = None) -> Sent:
    """Check every answer as at a check-in and keep them for review; the crisis message and the same-day follow-up
    when PHQ-9 item 9 is above 0 or the craving is at or above the clinic's urgent threshold."""
    now = now or datetime.now()
    with db.read(con) as cur:
        row = _open(cur, access, now)
    _, patient_id, _, substance, sex, asks, use_log, log_from, _, _, _, _ = row
    asked = tuple(json.loads(asks))
    checked = validate.every({
        "scales": lambda: _scores(answers, asked, sex, settings),
        "use_days": lambda: _days(use_days, log_from if use_log else None, now.date(), substance == "alcohol",
                                  settings),
    })
    scores, days = checked["scales"], checked["use_days"]
    reasons = rules.crisis_reasons({i: result for i, (result, _) in scores.items()}, settings)
    with db.transaction(con) as cur:
        _open(cur, access, now)  # again inside the transaction: a second tab sending at once finds it sent
        cur.execute(SEND_SQL, [access.report_id, now, json.dumps({i: given for i, (_, given) in scores.items()}),
                               json.dumps([_day_json(d) for d in days]), bool(reasons)])
        cur.execute(DROP_DRAFT_SQL, [access.report_id])
        _raise_once(cur, patient_id, access.report_id, reasons, now)
        db.audit(cur, None, "self_report_sent", "self_report", access.report_id,
                 {"patient_id": patient_id, "instruments": sorted(scores), "days": len(days),
                  "safety_followup": bool(reasons)})
    return Sent(bool(reasons), rules.crisis_message(settings) if reasons else None)


def _scores(answers, asked: tuple[str, ...], sex: str, settings: Settings | None) -> dict:
    """Every asked scale scored, every one unanswered or half-answered named; nothing that was not asked."""
    if not isinstance(answers, dict):
        raise ValueError("Answers: the form did not arrive; fill it in again")
    unknown = set(answers) - set(asked)
    if unknown:
        raise ValueError("Answers to questions that were not asked: nothing was sent")
    checks = {i: (lambda i=i: (instruments.score(i, answers.get(i), sex=sex, settings=settings), answers.get(i)))
              for i in asked}
    try:
        return validate.every(checks)
    except validate.FieldErrors as e:
        raise ValueError(str(e)) from None


def _days(use_days, log_from: date | None, today: date, counts_drinks: bool,
          settings: Settings | None) -> list[followup.UseDay]:
    """Each asked day answered once; a day outside the asked range refused by name."""
    if log_from is None:
        if use_days:
            raise ValueError("Use log: it was not asked for")
        return []
    if not isinstance(use_days, (list, tuple)) or not all(isinstance(d, dict) for d in use_days):
        raise ValueError("Use log: the days did not arrive; fill them in again")
    wanted = rules.days_asked(log_from, today)
    problems, checked = [], {}
    for entry in use_days:
        try:
            day = followup.use_day(entry.get("day"), entry.get("used"), entry.get("drinks"), entry.get("other_used"),
                                   today=today, earliest=log_from, counts_drinks=counts_drinks, settings=settings)
        except ValueError as e:
            problems.append(str(e))
            continue
        if day.day not in wanted:
            problems.append(f"Day {day.day:%d %b %Y} is not one of the days asked about "
                            f"({wanted[0]:%d %b %Y} to {wanted[-1]:%d %b %Y})")
        elif day.day in checked:
            problems.append(f"Day {day.day:%d %b %Y} is listed twice")
        checked[day.day] = day
    missing = [d for d in wanted if d not in checked]
    if missing and not problems:
        problems.append(f"Day {missing[0]:%d %b %Y}: say whether you used or not"
                        + (f" (and {len(missing) - 1} more day(s))" if len(missing) > 1 else ""))
    if problems:
        raise ValueError("; ".join(problems))
    return [checked[d] for d in wanted]


def _day_json(d: followup.UseDay) -> dict:
    return {"day": d.day.isoformat(), "used": d.used, "drinks": d.drinks, "other_used": d.other_used}


# Review

def pending(con, user: User, patient_id: int, settings: Settings | None = None) -> list[Pending]:
    """The patient's sent self-reports waiting for review, oldest first, scored."""
    require(con, user, STAFF)
    patient_id = validate.record_id(patient_id, NO_PATIENT)
    with db.read(con) as cur:
        sex = cur.execute(SEX_SQL, [patient_id]).fetchone()
        rows = cur.execute(PENDING_SQL, [patient_id]).fetchall()
    if sex is None:
        raise ValueError(NO_PATIENT)
    return [Pending(report_id, sent_at,
                    tuple((i, instruments.score(i, given, sex=sex[0], settings=settings))
                          for i, given in json.loads(answers).items()),
                    tuple(_from_json(d) for d in json.loads(days)), crisis)
            for report_id, sent_at, answers, days, crisis in rows]



def _from_json(d: dict) -> followup.UseDay:
    return followup.UseDay(date.fromisoformat(d["day"]), d["used"], d["drinks"], d["other_used"])


def accept(con, user: User, report_id: int, correction_reason: str = "", now: datetime | None = None,
           settings: Settings | None = None) -> int:
    """Let a sent self-report into the record as a check-in dated when the patient sent it; a use day already
    recorded with other values needs `correction_reason`, as at a check-in. Returns the check-in's id."""
    user = require(con, user, ISSUERS)
    now = now or datetime.now()
    report_id = validate.record_id(report_id, NO_REQUEST)
    correction_reason = validate.text(correction_reason, "Reason for the correction", 500)
    with db.transaction(con) as cur:
        patient_id, sent_at, answers, days = _reviewable(cur, report_id)
        ctx = checkins.context_in(cur, patient_id, now.date(), settings)
        scores = {i: (instruments.score(i, given, sex=ctx.sex, settings=settings), given)
                  for i, given in json.loads(answers).items()}
        checked = checkins.checked_days(json.loads(days), ctx, now.date(), settings)
        checkin_id, added, corrected = checkins.store(cur, user, patient_id, sent_at, scores, checked,
                                                      correction_reason, "Sent by the patient (self-report)", now)
        cur.execute(REVIEW_SQL, [report_id, "accepted", None, checkin_id, user.id, now])
        db.audit(cur, user.id, "self_report_accepted", "self_report", report_id,
                 {"patient_id": patient_id, "checkin_id": checkin_id, "days_added": added,
                  "days_corrected": corrected})
    return checkin_id


def reject(con, user: User, report_id: int, reason: str, now: datetime | None = None) -> None:
    """Keep a sent self-report out of the record, with the reason (it stays listed, rejected, on the chart)."""
    user = require(con, user, ISSUERS)
    now = now or datetime.now()
    report_id = validate.record_id(report_id, NO_REQUEST)
    reason = validate.text(reason, "Reason for rejecting", MAX_REASON)
    if not reason.strip():
        raise ValueError("Reason for rejecting: say why these answers stay out of the record")
    with db.transaction(con) as cur:
        patient_id, *_ = _reviewable(cur, report_id)
        cur.execute(REVIEW_SQL, [report_id, "rejected", reason.strip(), None, user.id, now])
        db.audit(cur, user.id, "self_report_rejected", "self_report", report_id,
                 {"patient_id": patient_id, "reason": reason.strip()})


def _reviewable(cur, report_id: int) -> tuple:
    done = cur.execute(REVIEWED_SQL, [report_id]).fetchone()
    if done:
        decision, who, at = done
        raise ValueError(f"Already {decision} by {who or 'another user'} at {at:%H:%M on %d %b %Y}; nothing was "
                         "changed")
    row = cur.execute(SENT_SQL, [report_id]).fetchone()
    if row is None:
        raise ValueError("The patient has not sent this self-report")
    return row
