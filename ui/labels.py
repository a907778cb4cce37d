"""Plain words for every stored code, so no screen shows `needs_review`, `suicide_risk` or `phq9`."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from core.access import ROLE_LABELS
from core.rules import instruments
from core.rules.dosing import ADVERSE_EVENT_WORDS, ROUTES, STOP_REASON_WORDS
from core.rules.settings import DoseBand
from core.safety import OUTCOME_LABELS
from core.screening_form import CONDITION_LABELS, MEDICATION_LABELS

IDENTITY_FIELD = {"first_name": "first name", "last_name": "last name", "date_of_birth": "date of birth",
                  "sex": "sex at birth", "mrn": "chart number"}
DECISION = {"eligible": "Eligible", "needs_review": "Needs review", "ineligible": "Ineligible"}
PATIENT_STATUS = {"screened": "Waiting for approval", "approved": "Approved", "declined": "Declined",
                  "ineligible": "Ineligible"}
APPROVAL = {"approved": "Approved", "declined": "Declined"}
SESSION_STATUS = {"in_progress": "In progress", "discharged": "Discharged", "stopped": "Stopped early"}
SUBSTANCE = {"alcohol": "Alcohol", "opioids": "Opioids", "cocaine": "Cocaine", "methamphetamine": "Methamphetamine"}
OTHER_SUBSTANCE = {**SUBSTANCE, "benzodiazepines": "Benzodiazepines", "cannabis": "Cannabis", "nicotine": "Nicotine",
                   "other_stimulants": "Other stimulants (prescription stimulants, MDMA)"}
SEX = {"female": "Female", "male": "Male"}
PREGNANCY = {"no": "Not pregnant", "yes": "Pregnant", "possible": "Possibly pregnant, not tested"}
NO_FLAG = {"pcl5": "below the provisional PTSD threshold", "auditc": "negative screen"}
"""What an instrument without a band says when its flag is not raised, so a bare number is never all there is."""
FLAG = {
    "suicide_risk": "thoughts of death or self-harm (item 9)",
    "positive": "positive screen",
    "provisional_ptsd": "provisional PTSD",
    "elevated": "elevated craving",
}
SAFETY_STATUS = {"to_record": "URGENT: safety assessment to record today",
                 "recorded": "Safety assessment recorded", "": ""}
"""Words, not an emoji: a clinic PC without an emoji font drew the old marker as an empty box."""
CSSRS_RISK = {"none": "no risk identified", "low": "low risk", "moderate": "moderate risk", "high": "high risk"}
CONDITION = CONDITION_LABELS
MEDICATION = MEDICATION_LABELS
ROUTE = ROUTES
ROUTE_SHORT = {"iv": "IV", "im": "IM", "intranasal": "Nasal", "oral": "Lozenge"}
"""The route in a word, where a column is narrow (today's board)."""


AUDIT_ACTION = {
    "sign_in": "Signed in", "sign_in_failed": "Sign-in failed", "sign_out": "Signed out",
    "signature_failed": "Signature failed (wrong password)", "user_created": "Account created",
    "user_activated": "Account activated", "user_deactivated": "Account deactivated",
    "user_role_changed": "Role changed", "patient_created": "Patient created",
    "patient_identity_changed": "Patient identity corrected", "screening_saved": "Screening saved",
    "screening_approved": "Screening approved", "screening_declined": "Screening declined",
    "safety_assessment_recorded": "Same-day safety assessment recorded", "chart_viewed": "Chart opened",
    "setting_changed": "Clinic setting changed", "demo_seeded": "Demo data created",
    "draft_created": "Draft started", "draft_updated": "Draft autosaved", "draft_resumed": "Draft resumed",
    "draft_discarded": "Draft discarded", "draft_saved": "Draft completed (record saved)",
    "draft_used": "Draft used (record saved)", "use_day_added": "Use day added",
    "audit_exported": "Audit log exported (CSV)",
    "gate_checked": "Pre-dose check recorded", "session_started": "Dose given (session started)",
    "vitals_recorded": "Vital signs recorded", "adverse_event_recorded": "Adverse event recorded",
    "session_stopped": "Dosing stopped early", "session_discharged": "Patient discharged",
    "session_signed": "Session signed", "session_addendum_added": "Addendum added",
    "screening_comment_added": "Comment added to a decided screening",
    "integration_note_addendum_added": "Addendum to an integration note added",
    "patients_searched": "Patients searched", "outcomes_exported": "De-identified outcomes exported",
    "backup_made": "Backup made", "password_reset": "Password reset", "account_locked": "Account locked",
    "account_unlocked": "Account unlocked by an administrator",
    "checkin_saved": "Check-in saved", "use_day_corrected": "Use day corrected",
    "integration_note_signed": "Integration note signed", "integration_session_booked": "Integration session booked",
    "dosing_session_viewed": "Dosing session opened", "screening_viewed": "Screening opened in the approval queue",
    "patients_listed": "List of patients shown", "patient_looked_up": "Patient looked up for the audit log",
    "records_sealed": "Records written in bulk sealed", "audit_verified": "Audit trail verified",
    "audit_head_missing": "Audit head missing at start", "audit_rows_missing": "Audit rows missing at start",
    "severe_event_acknowledged": "Severe adverse event acknowledged",
    "session_reviewed": "Session reviewed before the next dose",
    "fhir_exported": "Patient record exported (FHIR)",
    "fhir_cohort_exported": "Every patient's record exported (FHIR, one file)",
    "rems_form_saved": "REMS monitoring form saved", "rems_form_completed": "REMS monitoring form marked complete",
    "rems_form_submitted": "REMS monitoring form marked submitted", "rems_form_viewed": "REMS monitoring form opened",
    "self_report_issued": "Self-report link issued", "self_report_cancelled": "Self-report request cancelled",
    "self_report_refused": "Self-report link or code refused", "self_report_draft_kept": "Self-report answers kept",
    "self_report_sent": "Self-report sent by the patient",
    "self_report_accepted": "Self-report accepted into the record", "self_report_rejected": "Self-report rejected",
}
AUDIT_ENTITY = {"user": "Account", "patient": "Patient", "screening": "Screening", "draft": "Draft",
                "safety_followup": "Safety follow-up", "setting": "Setting", "database": "Database", "": "",
                "checkin": "Check-in", "use_day_correction": "Use day correction", "gate_check": "Pre-dose check",
                "dosing_session": "Dosing session", "session_vitals": "Vital signs", "adverse_event": "Adverse event",
                "session_addendum": "Addendum", "integration_note": "Integration note",
                "screening_comment": "Comment on a screening",
                "outcomes": "Outcomes export", "screenings": "Screenings", "approvals": "Prescriber's decisions",
                "dosing_sessions": "Dosing sessions", "integration_notes": "Integration notes",
                "rems_form": "REMS monitoring form", "self_report": "Self-report request"}


def instrument(instrument_id: str) -> str:
    return instruments.get(instrument_id).name


def days(count: int) -> str:
    """'1 day', '30 days'."""
    return f"{count} day" + ("" if count == 1 else "s")


def yes_no(value: bool | None) -> str:
    return {True: "Yes", False: "No"}.get(value, "Not recorded")


def when(value) -> str:
    """A moment as a clinician reads it: '21 Nov 2026, 22:00' (never an ISO timestamp)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return f"{value:%d %b %Y, %H:%M}"


def listed(codes, words: dict) -> str:
    return ", ".join(words.get(c, c) for c in sorted(codes)) or "None"


AUDIT_DETAIL = {"role": "role", "was": "previous role", "first_admin": "first administrator", "reason": "reason",
                "cosigned_by": "co-signed by", "cosigner_id": "co-signer's account",
                "fields": "fields changed",
                "patients": "patients", "seed": "seed", "decision": "result", "urgent": "same-day safety assessment",
                "rules_version": "rules version", "outcome": "outcome", "name": "setting", "kind": "form",
                "by": "searched by", "matches": "matches", "shown": "records shown", "rows": "rows",
                "automatic": "automatic", "folder": "folder", "files": "files", "minutes": "minutes",
                "opened_on": "opened on", "list": "list", "session_id": "dosing session record",
                "screening_id": "screening record", "seal": "seal", "approval_id": "decision record",
                "table": "table", "from_id": "from record", "to_id": "to record", "records": "records",
                "digest": "seal", "problems": "problems found", "rows_found": "audit rows found",
                "head_rows": "audit rows the head recorded", "head_last_id": "newest audit row the head recorded",
                "problem": "problem", "failures": "failed sign-ins",
                "instruments": "questionnaires", "days_added": "use days added", "days_corrected": "use days corrected",
                "safety_followup": "same-day safety follow-up", "day": "day", "status": "result",
                "override_by": "override by account", "code": "adverse event", "booking_id": "booking record",
                "withheld": "patients withheld", "schema_version": "schema version",
                "clinic_pseudonym": "clinic pseudonym", "start": "from", "end": "to", "as_of": "as of",
                "substances": "substances", "routes": "routes", "sexes": "sexes", "age_bands": "age bands",
                "source": "from address", "action": "action", "account_id": "account record",
                "autosaves": "autosaves shown", "value": "value", "delivered_mg": "dose actually given (mg)",
                "resources": "FHIR resources", "exported": "patient records exported",
                "use_log": "use log asked", "expires_at": "valid until", "attempt": "what was tried", "at": "at",
                "days": "use days", "checkin_id": "check-in record"}
AUDIT_REASON = {"credentials": "wrong username or password", "inactive": "account not active",
                "idle": "idle time limit", "user": "signed out by the user", "role_changed": "role changed",
                "locked": "account locked", "session_limit": "12-hour limit"}


def setting_value(value) -> str:
    """A threshold as an administrator reads it: a dose band in words, a list of doses, a number, a word."""
    if isinstance(value, str):
        return value or "(not set)"
    if isinstance(value, DoseBand):
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        return f"usual {value['low']:g}-{value['high']:g} mg/kg, at most {value['maximum']:g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(f"{v:g}" for v in value)
    return f"{value:g}"


SELF_REPORT_ATTEMPT = {"link": "a link", "kiosk_code": "a kiosk code",
                       "kiosk_date_of_birth": "a date of birth at the kiosk"}
SELF_REPORT_STATE = {"open": "Open: waiting for the patient", "sent": "Sent: waiting for review",
                     "accepted": "Accepted into the record", "rejected": "Rejected", "cancelled": "Cancelled",
                     "expired": "Expired unsent"}
DRAFT_KIND = {"screening": "screening", "dosing": "dosing session", "checkin": "follow-up check-in",
              "integration_note": "integration note"}


def audit_value(value) -> str:
    """One detail value in words: yes/no, field and code names as a clinician reads them."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(audit_value(v) for v in value)
    if isinstance(value, str):
        words = {**DECISION, **APPROVAL, **SUBSTANCE, **ROLE_LABELS, **OUTCOME_LABELS, **AUDIT_REASON,
                 **IDENTITY_FIELD, **DRAFT_KIND, **SELF_REPORT_ATTEMPT}
        return words.get(value, value)
    return str(value)


GATE_STATUS = {"go": "Go: dosing may start", "hold": "Hold: dosing needs a prescriber's override with a reason",
               "refused": "Refused: no dosing today (a refusal cannot be overridden)"}
REVIEW_HOLD = "Hold: a prescriber must review the last session before this dose"
DOSE_STATUS = {"ok": "Within the usual band",
               "override_needed": "Outside the usual band: needs a prescriber's override", "refused": "Refused"}
ADVERSE_EVENT = ADVERSE_EVENT_WORDS
SEVERITY = {"mild": "Mild", "moderate": "Moderate", "severe": "Severe"}
STOP_REASON = STOP_REASON_WORDS
DISSOCIATION = {"none": "None", "mild": "Mild", "moderate": "Moderate", "severe": "Severe"}
MOAA_S = {5: "5: responds readily to name spoken in a normal tone", 4: "4: lethargic response to name",
          3: "3: responds only after name is called loudly or repeatedly", 2: "2: responds only after mild prodding",
          1: "1: responds only after painful trapezius squeeze", 0: "0: no response after painful squeeze"}

TIMELINE = {"screening": "Screening", "approval": "Prescriber's decision", "dosing": "Dosing session",
            "checkin": "Follow-up check-in", "integration": "Integration-therapy note",
            "safety": "Same-day safety follow-up", "booking": "Integration-therapy session booked"}
TIMELINE_DETAIL = {"screening": DECISION, "approval": APPROVAL, "dosing": SESSION_STATUS}


def use_day(use: str | None, drinks, other: str | None) -> str:
    """A recorded use day in words, e.g. 'Used, 3 drinks; other substance: yes'."""
    text = use or "-"
    if use == "Used" and drinks:
        text += f", {drinks} drinks"
    if other in ("Yes", "No"):
        text += f"; other substance: {other.lower()}"
    return text
