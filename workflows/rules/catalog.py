"""The rule catalogue: every rule of the rule modules, by id. The modules are listed here, explicitly."""

from __future__ import annotations

from workflows.rules import lesson, media, package
from workflows.rules.base import COMMON_PARAMS, Rule, base_id

MODULES = (media, package, lesson)


def _collect() -> dict[str, Rule]:
    found: dict[str, Rule] = {}
    for module in MODULES:
        for value in vars(module).values():
            spec = getattr(value, "rule", None)
            if isinstance(spec, Rule) and spec.fn is value:
                if spec.id in found:
                    raise RuntimeError(f"rule {spec.id} defined twice")
                found[spec.id] = spec
    return dict(sorted(found.items()))


REGISTRY: dict[str, Rule] = _collect()


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
        ok = (
            isinstance(value, (int, float)) and not isinstance(value, bool)
            if want is float
            else isinstance(value, want)
        )
        if not ok:
            names = {float: "数值", int: "整数", str: "文本", list: "列表", bool: "true/false", dict: "表"}
            return key, f"参数“{key}”应为{names.get(want, want.__name__)}，而不是“{value!r}”"
        if key == "severity" and value not in ("fail", "warn"):
            return key, "severity 只能是 fail 或 warn"
    return None, None
