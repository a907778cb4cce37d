"""How a screening's answers are stored, so the decision can always be re-derived from them.

The intake that `core.rules.eligibility.evaluate` read is stored under "intake" exactly (sets as
sorted lists); everything else the nurse recorded goes under "details". Re-running the
rules on `intake_from_answers(...)` must give the stored decision.
"""

from __future__ import annotations

import dataclasses
import json

from core.rules.eligibility import Decision
from core.rules.reasons import Reason

SET_KEYS = ("conditions", "medications")


def answers_json(intake: dict, details: dict | None = None) -> str:
    stored = {k: sorted(v) if k in SET_KEYS else v for k, v in intake.items()}
    return json.dumps({"intake": stored, "details": details or {}}, sort_keys=True, ensure_ascii=False)


def intake_from_answers(answers: str) -> dict:
    intake = json.loads(answers)["intake"]
    return {k: set(v) if k in SET_KEYS else v for k, v in intake.items()}


def reasons_json(decision: Decision) -> str:
    return json.dumps([dataclasses.asdict(r) for r in decision.reasons], ensure_ascii=False)


def reasons_from_json(stored: str) -> list[Reason]:
    return [Reason(**r) for r in json.loads(stored)]
