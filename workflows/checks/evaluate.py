"""Evaluate a profile's rules on the facts of a work: findings, each framed with its clause."""

from __future__ import annotations

import fnmatch

from workflows.checks.facts import WorkFacts
from workflows.rules.base import Finding, Result, base_id
from workflows.rules.catalog import REGISTRY


def evaluate(w: WorkFacts, pattern: str | None = None) -> list[Finding]:
    out: list[Finding] = []
    for key, params in w.profile.data.get("rules", {}).items():
        rule_id = base_id(key)
        if pattern and not fnmatch.fnmatch(rule_id, pattern):
            continue
        if params.get("enabled") is False:
            continue
        if "projects" in params and (w.submission["project"] or "") not in params["projects"]:
            continue
        r = REGISTRY[rule_id]
        if r.scope == "work":
            out += _frame(w, rule_id, params, r.fn(w, params), None)
            continue
        for f in w.media:
            if f.media_class not in r.media or not f.has(r.needs):
                continue
            if not f.playable() and rule_id != "file.integrity":
                continue
            out += _frame(w, rule_id, params, r.fn(f, params, w), f)
    return out


def _frame(w, rule_id, params, results, f) -> list[Finding]:
    if results is None:
        return []
    if isinstance(results, Result):
        results = [results]
    clause = params.get("clause", "")
    where = f"{w.profile.name}" + (f"，{clause}" if clause else "")
    out = []
    for res in results:
        status = "warn" if res.status == "fail" and params.get("severity") == "warn" else res.status
        whole = res.extra.get("whole_work", False)  # a total over the work's files, not this file's finding
        prefix = f"“{f.path}”：" if f and len(w.media) > 1 and not whole else ""
        out.append(
            Finding(
                rule_id,
                status,
                res.measured,
                res.expected,
                f"{prefix}{res.detail}（{where}）",
                file_id=res.file_id or (f.id if f and not whole else None),
                clause=clause,
            )
        )
    return out
