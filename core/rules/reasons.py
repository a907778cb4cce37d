"""The one shape every rule reports in, so a page can list any decision's reasons alike."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reason:
    code: str
    severity: str
    message: str
    source: str


def worst(reasons: list[Reason], order: tuple[str, ...], default: str) -> str:
    """The most serious severity present, by `order` (most serious first)."""
    present = {r.severity for r in reasons}
    return next((level for level in order if level in present), default)
