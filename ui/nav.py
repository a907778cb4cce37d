"""The pages and who may open each; the sidebar shows a role only its own links."""

from __future__ import annotations

from dataclasses import dataclass

from core.access import EVERYONE, STAFF


@dataclass(frozen=True)
class PageLink:
    path: str
    label: str
    icon: str
    roles: frozenset[str]


PAGES = (
    PageLink("app.py", "Home", ":material/home:", EVERYONE),
    PageLink("pages/screening.py", "Screening", ":material/assignment:", frozenset({"nurse", "prescriber"})),
    PageLink("pages/approvals.py", "Approval queue", ":material/verified:", frozenset({"prescriber"})),
    PageLink("pages/dosing.py", "Dosing session", ":material/monitor_heart:", frozenset({"nurse", "prescriber"})),
    PageLink("pages/rems.py", "REMS forms", ":material/description:", frozenset({"nurse", "prescriber"})),
    PageLink("pages/checkins.py", "Check-ins", ":material/event_available:",
             frozenset({"therapist", "nurse", "prescriber"})),
    PageLink("pages/patients.py", "Patients", ":material/groups:", STAFF),
    PageLink("pages/outcomes.py", "Outcomes", ":material/insights:", EVERYONE),
    PageLink("pages/network.py", "Network", ":material/hub:", STAFF),
    PageLink("pages/admin.py", "Administration", ":material/admin_panel_settings:", frozenset({"admin"})),
    PageLink("pages/audit_log.py", "Audit log", ":material/history:", frozenset({"admin"})),
)


def links_for(role: str) -> list[PageLink]:
    return [page for page in PAGES if role in page.roles]
