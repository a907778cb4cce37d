"""Who may do what. Pages hide what a role cannot use, but these checks are what enforce it.

The `User` a page holds is what the account was at sign-in; an administrator may have
deactivated or re-roled it since. So every check reads the account's current role and
active flag from the database, and the caller goes on with the user `require` returns.
"""

from __future__ import annotations

from dataclasses import dataclass

from core import db
from core.schema import ROLES

STAFF = frozenset({"prescriber", "nurse", "therapist"})
"""The clinical team: the roles that may see identified patient data. The administrator manages the system
(accounts, settings, the audit trail, backups), not patients, and like the viewer sees de-identified aggregates."""

ROLE_LABELS = {
    "admin": "Administrator",
    "prescriber": "Prescriber",
    "nurse": "Nurse",
    "therapist": "Therapist",
    "viewer": "Viewer (de-identified)",
}


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: str

    @property
    def sees_identified_data(self) -> bool:
        return self.role in STAFF


class AccessDenied(PermissionError):
    """Raised by core functions when the signed-in role may not do this."""


EVERYONE = frozenset(ROLES)
NOT_ACTIVE = "This account is not active any more. Please sign in again or ask an administrator."


def current_user(con, user_id: int) -> User | None:
    """The account as stored now, or None when it is missing or deactivated."""
    with db.read(con) as cur:
        row = cur.execute("SELECT id, username, display_name, role FROM users WHERE id = ? AND active",
                          [user_id]).fetchone()
    return User(*row) if row else None


def require(con, user: User | None, allowed: frozenset[str] | set[str]) -> User:
    """The caller's account as the database holds it now, if it is active and its current role is allowed."""
    if user is None:
        raise AccessDenied("Please sign in first.")
    current = current_user(con, user.id)
    if current is None:
        raise AccessDenied(NOT_ACTIVE)
    if current.role not in allowed:
        raise AccessDenied(f"Your role ({ROLE_LABELS[current.role]}) cannot do this.")
    return current


assert set(ROLE_LABELS) == set(ROLES)
