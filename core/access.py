"""Who may do what. Pages hide what a role cannot use, but these checks are what enforce it."""

from __future__ import annotations

from dataclasses import dataclass

from core.schema import ROLES

STAFF = frozenset({"admin", "prescriber", "nurse", "therapist"})
"""Roles that may see identified patient data; `viewer` sees de-identified aggregates only."""

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


def require(user: User | None, allowed: frozenset[str] | set[str]) -> User:
    if user is None:
        raise AccessDenied("Please sign in first.")
    if user.role not in allowed:
        raise AccessDenied(f"Your role ({ROLE_LABELS[user.role]}) cannot do this.")
    return user


assert set(ROLE_LABELS) == set(ROLES)
