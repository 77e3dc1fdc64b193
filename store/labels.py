"""The Chinese names of the values the store holds (decisions, finding and submission statuses), and sizes.

One home for every screen, command and file that shows them.
"""

from __future__ import annotations

DECISION_ZH = {"recommend": "推荐", "reject": "不推荐", "fix": "需修改", "pending": "待定", None: "未审"}
FINDING_ZH = {"pass": "通过", "warn": "警告", "fail": "不通过", "skip": "不适用"}
SUBMISSION_ZH = {"imported": "已导入", "rejected": "已拒收", "superseded": "已替换"}


def size_text(n: float) -> str:
    """1536 -> '1.5 KB' (binary units, as file managers on Chinese Windows show them)."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"
