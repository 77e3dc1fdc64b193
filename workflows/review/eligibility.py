"""Eligibility (资格) at decision time: what blocks 推荐, and what only warns.

- A work with a failed eligibility finding (already awarded, 一稿多投, not a county project, 项目 outside its
  组别) is not recommended: `Ineligible` (exit 1, code `decision.ineligible`), unless an administrator
  overrides it with a reason (recorded in `rule_overrides` and the audit log).
- A refused submission (status `rejected`: an archive refused at import, or a project the county does not
  select) is never recommended: `Refused` (code `decision.refused`); no override passes it.
- Technical 不通过 findings do not block: `technical_failures` lists them so the caller can warn (the CLI
  prints them, the TUI asks y/n), and the decision's audit entry records them.
"""

from __future__ import annotations

from store import audit
from workflows.errors import RuleViolation, Violation

# Finding rules that decide whether a work may take part at all. Their failures block a recommendation.
ELIGIBILITY_RULES = ("dup.awarded", "dup.same_file", "eligibility.scope", "project.group")
RULE_ZH = {
    "dup.awarded": "已获奖作品",
    "dup.same_file": "一稿多投",
    "eligibility.scope": "不参与区级评选",
    "project.group": "项目与组别不符",
}


class Ineligible(RuleViolation):
    """A recommendation of a work that failed an eligibility rule (exit 1); an administrator may override it."""

    def __init__(self, violations: list[Violation], message: str, findings: dict[int, list[dict]]):
        super().__init__(violations, message, "decision.ineligible")
        self.findings = findings  # submission id -> its failed eligibility findings (rule, message, clause)


class Refused(RuleViolation):
    """A recommendation of a refused submission (status rejected): never allowed, no override."""

    def __init__(self, violations: list[Violation], message: str):
        super().__init__(violations, message, "decision.refused")


def _failures(db, ids: list[int], eligibility: bool) -> dict[int, list[dict]]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rules = ",".join("?" * len(ELIGIBILITY_RULES))
    op = "IN" if eligibility else "NOT IN"
    out: dict[int, list[dict]] = {}
    for r in db.execute(
        f"SELECT submission_id, rule, message, clause FROM findings WHERE status = 'fail' "
        f"AND submission_id IN ({marks}) AND rule {op} ({rules}) ORDER BY submission_id, id",
        [*ids, *ELIGIBILITY_RULES],
    ):
        out.setdefault(r[0], []).append({"rule": r[1], "message": r[2], "clause": r[3]})
    return out


def ineligible(db, ids) -> dict[int, list[dict]]:
    """Submission id -> its failed eligibility findings, for the ids that have any."""
    return _failures(db, [int(i) for i in ids], True)


def technical_failures(db, ids) -> dict[int, list[dict]]:
    """Submission id -> its failed technical (non-eligibility) findings, for the ids that have any."""
    return _failures(db, [int(i) for i in ids], False)


def refused_guard(db, rows: dict[int, dict], value: str) -> None:
    if value != "recommend":
        return
    bad = sorted(i for i, r in rows.items() if r["status"] == "rejected")
    if bad:
        text = f"作品 {'、'.join(map(str, bad))} 已拒收（导入时被拒收或不属于本级评选），不能推荐"
        raise Refused([Violation("submission.rejected", text, bad)], f"不能推荐：{text}")


def eligibility_guard(db, who, rows: dict[int, dict], value: str, override: str | None) -> None:
    """Refuse recommending an ineligible work unless OVERRIDE gives the administrator's reason (audited)."""
    if value != "recommend":
        return
    found = ineligible(db, list(rows))
    if not found:
        return
    violations = [
        Violation(f["rule"], f"作品 {i}：{f['message']}", [i]) for i, items in sorted(found.items()) for f in items
    ]
    reason = (override or "").strip()
    if not reason:
        text = "；".join(
            f"作品 {i}（{'、'.join(dict.fromkeys(RULE_ZH.get(f['rule'], f['rule']) for f in items))}）"
            for i, items in sorted(found.items())
        )
        raise Ineligible(
            violations,
            f"不能推荐：{text}不符合参评资格。如确需推荐，请管理员使用 --override --reason 说明理由",
            found,
        )
    at = audit.now()
    for i, items in sorted(found.items()):
        for f in items:
            db.execute(
                "INSERT INTO rule_overrides (submission_id, rule, reason, actor, at) VALUES (?,?,?,?,?)",
                [i, f["rule"], reason, who.name, at],
            )
            audit.append(
                db,
                who.name,
                "eligibility.override",
                f"submission:{i}",
                rule=f["rule"],
                reason=reason,
                finding=f["message"],
            )
