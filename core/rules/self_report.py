"""Self-report rules: what a patient may be asked between visits, when the answers call for the crisis message, and
the codes that open the form.

Pure functions, so the crisis rule can be read beside its source: the same PHQ-9 item 9 rule a check-in applies
(`followup.safety_reasons`), plus a craving the clinic marks as urgent (`self_report_urgent_craving`).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, timedelta

from core.rules import followup
from core.rules.instruments import ScoreResult
from core.rules.reasons import Reason
from core.rules.settings import Settings, resolve

ASKABLE = ("phq9", "gad7", "craving_vas", "pacs")
"""The scales a patient may answer alone: those of every check-in (core/checkins.py `EVERY_VISIT`). The PCL-5 and the
C-SSRS stay with a clinician: the C-SSRS is a structured interview, and the PCL-5 is given when it is due."""
TOKEN_BYTES = 32
"""256 random bits in the link (the issue asks for at least 128)."""
KIOSK_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
"""No 0/O, 1/I/L: a code read off paper and typed on a tablet must not depend on telling those apart."""
KIOSK_LENGTH = 6
KIOSK_MAX_FAILURES = 5
"""Wrong dates of birth after which a kiosk code is locked (the link itself still works): with a 6-character code
and a date of birth as second factor, a handful of tries is all a patient who mistypes needs."""
WRONG_CODE_LIMIT = 10
WRONG_CODE_WINDOW = timedelta(minutes=15)
"""Wrong or expired links and codes from one address (or, without one, from anywhere) within the window, after which
the page says to wait: guessing codes then takes lifetimes."""
PHQ9_ITEM9 = 8
"""PHQ-9's ninth item (thoughts of self-harm), by its place among the answers."""
CRAVING_SOURCE = "clinic setting: craving at or above the urgent threshold (Settings.self_report_urgent_craving)"
NOT_WORKING = ("This link or code does not work. It may have expired, been used already, or been mistyped. "
               "Please ask the clinic for a new one.")
"""One plain message for every refusal, so the page does not tell a guesser which codes exist."""
TOO_MANY = "Too many tries. Please wait 15 minutes, or ask the clinic's front desk for help."


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_kiosk_code() -> str:
    return "".join(secrets.choice(KIOSK_ALPHABET) for _ in range(KIOSK_LENGTH))


def digest(secret: str) -> str:
    """What is stored in place of a token or kiosk code: SHA-256, hex. A token is 256 random bits, so a plain hash is
    enough; a kiosk code is short, and is guarded by the date of birth and the lock, not by its hash."""
    return hashlib.sha256(secret.encode()).hexdigest()


def kiosk_form(typed: str) -> str:
    """A kiosk code as typed (any case, spaces or a dash between halves) in the form it was issued."""
    return "".join(ch for ch in str(typed or "").upper() if ch.isalnum())


def expires(issued_at: datetime, valid_days, settings: Settings | None = None) -> datetime:
    """The end of the link's life: `valid_days` after issue (the clinic's default when None), at most 14."""
    s = resolve(settings)
    days = s.self_report_valid_days if valid_days is None else valid_days
    if isinstance(days, bool) or not isinstance(days, (int, float)) or days != int(days):
        raise ValueError("Valid for: enter a whole number of days")
    low, high = Settings.within("self_report_valid_days")
    if not low <= days <= high:
        raise ValueError(f"Valid for: between {low:g} and {high:g} days; got {days:g}")
    return issued_at + timedelta(days=int(days))


def days_asked(log_from: date, today: date) -> list[date]:
    """The days the use log asks about, from the first day not yet recorded at issue up to today."""
    return [log_from + timedelta(days=i) for i in range((today - log_from).days + 1)]


def crisis_reasons(scores: dict[str, ScoreResult], settings: Settings | None = None) -> list[Reason]:
    """Why the patient is shown the crisis message at once and a same-day safety follow-up is raised."""
    phq9, craving = scores.get("phq9"), scores.get("craving_vas")
    return _crisis(phq9 is not None and "suicide_risk" in phq9.flags, None if craving is None else craving.total,
                   settings)


def crisis_so_far(answers: dict, settings: Settings | None = None) -> list[Reason]:
    """The crisis rule on the answers given so far, the form not yet complete: the message cannot wait for Send (the
    Chromium review: a patient who answered item 9 and closed the tab was never shown it, and no one was told). An
    answer that is not one of the scale's decides nothing."""
    phq9 = answers.get("phq9") if isinstance(answers, dict) else None
    item9 = phq9[PHQ9_ITEM9] if isinstance(phq9, list) and len(phq9) > PHQ9_ITEM9 else None
    craving = answers.get("craving_vas") if isinstance(answers, dict) else None
    level = craving[0] if isinstance(craving, list) and craving else None
    return _crisis(item9 in (1, 2, 3), level if isinstance(level, int | float) and 0 <= level <= 100 else None,
                   settings)


def _crisis(item9_positive: bool, craving, settings: Settings | None) -> list[Reason]:
    s = resolve(settings)
    reasons = [followup.ITEM9_REASON] if item9_positive else []
    if craving is not None and craving >= s.self_report_urgent_craving:
        reasons.append(Reason("urgent_craving", "review",
                              f"Craving {craving:g} of 100, at or above {s.self_report_urgent_craving}",
                              CRAVING_SOURCE))
    return reasons


def crisis_message(settings: Settings | None = None) -> str:
    """What the patient reads at once: 988 always, and the clinic's own number when the administrator has set it."""
    s = resolve(settings)
    clinic = (f"You can also call the clinic on **{s.crisis_phone}**." if s.crisis_phone
              else "You can also call the clinic.")
    return ("**If you are thinking about harming yourself, or feel you cannot stay safe, call or text 988 (Suicide "
            "& Crisis Lifeline) now, or call 911 in an emergency.** " + clinic
            + " The clinic's team has been alerted and will follow up with you.")
