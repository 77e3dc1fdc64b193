"""Programme profiles: one TOML data file per programme.

Built-in profiles ship in workflows/profiles/; a copy in the station's
config/profiles/ with the same id takes precedence (an admin's edit).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from workflows.errors import StationError
from workflows.profiles import roles
from workflows.profiles.schema import RULE_KEYS, check_deadlines, check_rubric

TOP_KEYS = {
    "id",
    "name",
    "version",
    "notice",
    "media",
    "has_node_code",
    "layouts",
    "components",
    "rules",
    "metadata",
    "target",
    "recommend",
    "rubric",
    "deadlines",
}
TARGET_KEYS = {
    "width": int,
    "height": int,
    "fps": int,
    "video_bitrate": str,
    "audio_bitrate": str,
    "audio_rate": int,
    "channels": int,
    "audio_codec": str,
}
FIELD_KEYS = {"label", "required", "format", "codes", "matches_duration"}
FIELD_FORMATS = {"hhmmss", "date", "list", "category", "code", "order", "integer", "xml", "url"}
LAYOUT_KEYS = {"name", "levels", "requires", "clause"}
COMPONENT_KEYS = {"required", "clause", "projects"}


@dataclass
class Layout:
    name: str
    levels: list[re.Pattern]
    requires: list[str] = field(default_factory=list)
    clause: str = ""


@dataclass
class Profile:
    id: str
    name: str
    version: str
    notice: str
    media: str
    layouts: list[Layout]
    components: dict
    data: dict
    path: str
    has_node_code: bool = False


def builtin_dir() -> Path:
    return Path(str(resources.files("workflows.profiles").joinpath("builtin")))


def _sources(config_dir: Path | None) -> dict[str, Path]:
    found = {p.stem: p for p in sorted(builtin_dir().glob("*.toml"))}
    if config_dir and (config_dir / "profiles").is_dir():
        found.update({p.stem: p for p in sorted((config_dir / "profiles").glob("*.toml"))})
    return found


def available(config_dir: Path | None = None) -> list[str]:
    return sorted(_sources(config_dir))


def load(profile_id: str, config_dir: Path | None = None) -> Profile:
    sources = _sources(config_dir)
    if profile_id not in sources:
        raise StationError("profile.unknown", f"没有名为“{profile_id}”的项目配置；可用：{'、'.join(sorted(sources))}")
    return parse(sources[profile_id])


def _fail(path: Path, text: str, key: str, why: str, needles: tuple[str, ...] = ()) -> StationError:
    """An error naming the file, the line and the key. NEEDLES locate the line in order (section, then key)."""
    if not needles:
        needles = (r"\s*\[*" + re.escape(key.split(".")[-1].split("[")[0]) + r"\b",)
    line, start = None, 0
    lines = text.splitlines()
    for needle in needles:
        line = next((n for n in range(start, len(lines)) if re.match(needle, lines[n])), None)
        if line is None:
            break
        start = line
    where = f"{path}" + (f" 第 {line + 1} 行" if line is not None else "")
    return StationError("profile.invalid", f"项目配置 {where}，键 {key}：{why}")


def parse(path: Path) -> Profile:
    text = path.read_text("utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise StationError("profile.invalid", f"项目配置 {path} 不是有效的 TOML：{e}") from e
    for key in data:
        if key not in TOP_KEYS:
            raise _fail(path, text, key, "未知的键")
    for key in ("id", "name", "version", "layouts", "components"):
        if key not in data:
            raise _fail(path, text, key, "缺少必填项")
    layouts = []
    for i, raw in enumerate(data["layouts"]):
        for key in raw:
            if key not in LAYOUT_KEYS:
                raise _fail(path, text, f"layouts[{i}].{key}", "未知的键")
        if not raw.get("levels"):
            raise _fail(path, text, f"layouts[{i}].levels", "至少需要一级文件夹规则")
        levels = []
        for pattern in raw["levels"]:
            try:
                levels.append(re.compile(pattern))
            except re.error as e:
                raise _fail(path, text, f"layouts[{i}].levels", f"正则表达式“{pattern}”有误：{e}") from e
        for req in raw.get("requires", []):
            if req not in ("video", "audio"):
                raise _fail(path, text, f"layouts[{i}].requires", f"只能是 video 或 audio，而不是“{req}”")
        layouts.append(
            Layout(raw.get("name", f"layout {i + 1}"), levels, raw.get("requires", []), raw.get("clause", ""))
        )
    comps = data["components"]
    known_roles = {r["role"] for r in roles._rules()}
    for key in comps:
        if key not in COMPONENT_KEYS:
            raise _fail(path, text, f"components.{key}", "未知的键")
    for role in comps.get("required", []) + [r for rs in comps.get("projects", {}).values() for r in rs]:
        if role not in known_roles:
            raise _fail(path, text, "components.required", f"未知的材料类型“{role}”")
    _check_rules(path, text, data)
    return Profile(
        id=data["id"],
        name=data["name"],
        version=str(data["version"]),
        notice=data.get("notice", ""),
        media=data.get("media", "video"),
        layouts=layouts,
        components=comps,
        data=data,
        path=str(path),
        has_node_code=bool(data.get("has_node_code", False)),
    )


def _check_rules(path: Path, text: str, data: dict) -> None:
    from workflows.rules.catalog import check_params

    for rule_id, params in data.get("rules", {}).items():
        if not isinstance(params, dict):
            raise _fail(path, text, f"rules.{rule_id}", '应为一个表，如 [rules."video.fps"]')
        param, why = check_params(rule_id, params)
        if why:
            section = r'\s*\[rules\.["\']?' + re.escape(rule_id) + r'|\s*["\']?' + re.escape(rule_id) + r'["\']?\s*='
            needles = (section,) + ((r"\s*" + re.escape(param) + r"\s*=",) if param else ())
            raise _fail(path, text, f"rules.{rule_id}" + (f".{param}" if param else ""), why, needles)
    for key, value in data.get("recommend", {}).items():
        want = RULE_KEYS.get(key)
        if want is None or not (isinstance(value, want) or (want is float and isinstance(value, int))):
            raise _fail(path, text, f"recommend.{key}", "未知的键" if want is None else f"类型应为 {want.__name__}")
    check_rubric(data.get("rubric"), lambda key, why, needles: _fail(path, text, key, why, needles))
    check_deadlines(data.get("deadlines"), lambda key, why, needles: _fail(path, text, key, why, needles))
    for key, value in data.get("target", {}).items():
        if key not in TARGET_KEYS or not isinstance(value, TARGET_KEYS[key]):
            raise _fail(
                path,
                text,
                f"target.{key}",
                "未知的键" if key not in TARGET_KEYS else f"类型应为 {TARGET_KEYS[key].__name__}",
            )
    for i, spec in enumerate(data.get("metadata", {}).get("fields", [])):
        for key in spec:
            if key not in FIELD_KEYS:
                raise _fail(path, text, f"metadata.fields[{i}].{key}", "未知的键")
        if "label" not in spec:
            raise _fail(path, text, f"metadata.fields[{i}].label", "缺少必填项")
        if spec.get("format") and spec["format"] not in FIELD_FORMATS:
            raise _fail(path, text, f"metadata.fields[{i}].format", f"只能是 {'、'.join(sorted(FIELD_FORMATS))} 之一")
