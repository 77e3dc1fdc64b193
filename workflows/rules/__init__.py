"""The rule catalogue: each rule is a function of measurements and profile parameters.

A rule is registered with the tiers it needs, its parameter names and types, and whether
it looks at one media file or at the whole work. Profiles name rules under [rules."id"];
`validate` refuses unknown rules and parameters with the file, line and key.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

STATUS_ZH = {"pass": "通过", "warn": "警告", "fail": "不通过", "skip": "不适用"}
COMMON_PARAMS = {"clause": str, "severity": str, "projects": list, "enabled": bool}


@dataclass
class Finding:
    rule: str
    status: str
    measured: str | None
    expected: str | None
    message: str
    file_id: int | None = None
    fix: str | None = None
    clause: str = ""


@dataclass
class Rule:
    id: str
    scope: str                # "file" (each media file) or "work"
    needs: tuple[str, ...]    # measurement tiers; the rule is evaluated only when all are present
    params: dict[str, type]
    fn: Callable
    media: tuple[str, ...] = ("video", "audio")
    mechanical: bool = False  # a re-encode or remux makes a compliant copy


REGISTRY: dict[str, Rule] = {}


def rule(rule_id: str, *, scope: str = "file", needs=("M",), params: dict | None = None,
         media=("video", "audio"), mechanical: bool = False):
    def register(fn):
        REGISTRY[rule_id] = Rule(rule_id, scope, tuple(needs), dict(params or {}), fn, tuple(media), mechanical)
        return fn
    return register


@dataclass
class Result:
    """What a rule function returns: status and values; the engine adds the message frame."""
    status: str
    measured: str | None = None
    expected: str | None = None
    detail: str = ""          # the sentence: what was measured and what is required
    file_id: int | None = None
    extra: dict = field(default_factory=dict)


def base_id(key: str) -> str:
    """A profile may apply one rule twice with different parameters: "media.duration#vocational"."""
    return key.split("#", 1)[0]


def check_params(rule_id: str, params: dict) -> tuple[str | None, str | None]:
    """(None, None) when PARAMS suit RULE_ID, else (the parameter at fault, a Chinese reason)."""
    rule_id = base_id(rule_id)
    if rule_id not in REGISTRY:
        return None, f"未知的检查规则（可用：{'、'.join(sorted(REGISTRY))}）"
    known = {**COMMON_PARAMS, **REGISTRY[rule_id].params}
    for key, value in params.items():
        if key not in known:
            return key, f"规则 {rule_id} 没有参数“{key}”（可用：{'、'.join(sorted(known))}）"
        want = known[key]
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) if want is float else isinstance(value, want)
        if not ok:
            names = {float: "数值", int: "整数", str: "文本", list: "列表", bool: "true/false", dict: "表"}
            return key, f"参数“{key}”应为{names.get(want, want.__name__)}，而不是“{value!r}”"
        if key == "severity" and value not in ("fail", "warn"):
            return key, "severity 只能是 fail 或 warn"
    return None, None


def _load() -> None:
    from . import media, package  # noqa: F401  (registration)


_load()
