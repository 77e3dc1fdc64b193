"""学段 names and their synonyms, in one place.

Teachers, forms and quota tables write the same 学段 differently: a 幼儿园 folder with 学前教育 ticked on the
登记表 (004 一：“基础教育（含学前、特殊教育）”), 普通高中 for 高中, 中等职业教育 for 中职. Every comparison of
学段 (form against folder, quota cells, the recommendation ratio per 学段) goes through `key`/`same`.
"""

from __future__ import annotations

import re
import unicodedata

# written form -> the one key (the quota tables' short names)
SYNONYMS: dict[str, str] = {
    "学前": "学前",
    "学前教育": "学前",
    "幼儿园": "学前",
    "幼教": "学前",
    "小学": "小学",
    "初中": "初中",
    "高中": "高中",
    "普通高中": "高中",
    "中职": "中职",
    "中等职业": "中职",
    "中等职业教育": "中职",
    "特殊教育": "特殊教育",
    "特教": "特殊教育",
}
# longest first, so that 学前教育 is found before 学前 and 普通高中 before 高中
WORDS: tuple[str, ...] = tuple(sorted(SYNONYMS, key=len, reverse=True))
_FIND = re.compile("|".join(map(re.escape, WORDS)))


def _clean(value: str) -> str:
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", value))


def keys(value: str | None) -> list[str]:
    """The 学段 keys VALUE names, in order, each once: '幼儿园' -> ['学前'], '小学、初中' -> ['小学', '初中']."""
    if not value:
        return []
    return list(dict.fromkeys(SYNONYMS[m] for m in _FIND.findall(_clean(value))))


def key(value: str | None) -> str | None:
    """The one key of VALUE ('学前教育' -> '学前'); VALUE itself when it names no known 学段."""
    if not value:
        return value
    found = SYNONYMS.get(_clean(value)) or next(iter(keys(value)), None)
    return found or value


def same(a: str, b: str) -> bool | None:
    """Whether A and B name the same 学段(s); None when either names no known 学段 (compare as text then)."""
    ka, kb = keys(a), keys(b)
    if not ka or not kb:
        return None
    return set(ka) == set(kb)
