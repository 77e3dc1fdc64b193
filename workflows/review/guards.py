"""The guards every decision passes, in order, inside the decision's write transaction.

An explicit list: a guard is added here, never registered by the module that defines it, so the
first decision in a process applies the same guards as every later one.
"""

from __future__ import annotations

from typing import Callable

from workflows.quotas import rules as quotas
from workflows.review import eligibility
from workflows.scoring import scores as scoring
from workflows.station import Station


def veto(station: Station, db, who, rows: dict[int, dict], value: str, override: str | None) -> None:
    """A work an expert marked with a veto item cannot be recommended; no override passes this."""
    scoring.veto_rule(db, who, rows, value)


def hard_quota_rules(station: Station, db, who, rows: dict[int, dict], value: str, override: str | None) -> None:
    """A recommendation that breaks a hard quota rule is refused unless an administrator overrides it."""
    for campaign_id in sorted({r["campaign_id"] for r in rows.values()}):
        picked = [i for i, r in rows.items() if r["campaign_id"] == campaign_id]
        quotas.check_decision(db, campaign_id, quotas.rules(station, campaign_id), picked, value, override, who.name)


def refused(station: Station, db, who, rows: dict[int, dict], value: str, override: str | None) -> None:
    """A refused submission (status rejected) is never recommended; no override passes this."""
    eligibility.refused_guard(db, rows, value)


def eligible(station: Station, db, who, rows: dict[int, dict], value: str, override: str | None) -> None:
    """A work that failed an eligibility rule is not recommended unless an administrator overrides it."""
    eligibility.eligibility_guard(db, who, rows, value, override)


Guard = Callable[[Station, object, object, dict, str, "str | None"], None]
GUARDS: tuple[Guard, ...] = (refused, veto, eligible, hard_quota_rules)
