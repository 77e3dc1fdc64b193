"""User key remapping: `config/keys.toml` in the station, binding id = "key[,key...]".

[keys]
"queue.recommend" = "y"
"queue.reject" = "X,delete"
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from tui import strings as S

FILE = "keys.toml"
# Actions that lose work cannot be put on a lowercase letter (typed by accident, or into the wrong window).
DESTRUCTIVE = {"jobs.cancel"}


def _lowercase_letter(key: str) -> bool:
    return len(key) == 1 and key.isalpha() and key.islower()


def load(config_dir: Path) -> tuple[dict[str, str], list[str]]:
    """The keymap from CONFIG_DIR/keys.toml, and the problems found in it (as user messages)."""
    path = Path(config_dir) / FILE
    if not path.exists():
        return {}, []
    try:
        data = tomllib.loads(path.read_text("utf-8")).get("keys", {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        return {}, [S.KEYMAP_BAD.format(path=path, error=e)]
    keymap, problems = {}, []
    for binding_id, keys in data.items():
        if binding_id not in S.KEYS:
            problems.append(S.KEYMAP_BAD.format(path=path, error=S.KEYMAP_UNKNOWN.format(id=binding_id)))
            continue
        if not isinstance(keys, str) or not keys.strip():
            problems.append(S.KEYMAP_BAD.format(path=path, error=S.KEYMAP_EMPTY.format(id=binding_id)))
            continue
        keys = ",".join(k.strip() for k in keys.split(",") if k.strip())
        if binding_id in DESTRUCTIVE and any(_lowercase_letter(k) for k in keys.split(",")):
            problems.append(S.KEYMAP_BAD.format(path=path, error=S.KEYMAP_LOWERCASE.format(id=binding_id)))
            continue
        keymap[binding_id] = keys
    return keymap, problems


NAMES = {
    "down": "Down",
    "up": "Up",
    "left": "Left",
    "right": "Right",
    "pagedown": "PgDn",
    "pageup": "PgUp",
    "home": "Home",
    "end": "End",
    "space": "Space",
    "enter": "Enter",
    "escape": "Esc",
    "slash": "/",
    "question_mark": "?",
    "backspace": "Backspace",
    "tab": "Tab",
    "delete": "Del",
}


def display(key: str) -> str:
    """An ASCII label for KEY: ctrl+q -> Ctrl+Q, pagedown -> PgDn, f1 -> F1."""
    if key.startswith("ctrl+"):
        rest = display(key[5:])
        return "Ctrl+" + (rest.upper() if len(rest) == 1 else rest)
    if key.startswith("shift+"):
        return "Shift+" + display(key[6:])
    if key in NAMES:
        return NAMES[key]
    if len(key) > 1 and key[0] == "f" and key[1:].isdigit():
        return key.upper()
    return key
