"""Which submissions a package holds, by the profile's folder-layout rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from workflows.profiles import roles
from workflows.profiles.load import Layout


@dataclass
class Work:
    path: tuple[str, ...]  # folders from the package root down to the work
    fields: dict[str, str]  # what the folder names said (stage, school, teacher, project, title)
    files: list[str]  # package-relative file paths
    layout: Layout | None = None

    def relative(self, package_path: str) -> str:
        return PurePosixPath(*PurePosixPath(package_path).parts[len(self.path) :]).as_posix()


@dataclass
class Node:
    dirs: dict[str, "Node"] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)  # full package-relative paths

    def all_files(self) -> list[str]:
        out = list(self.files)
        for child in self.dirs.values():
            out += child.all_files()
        return out


def tree(paths: list[str]) -> Node:
    root = Node()
    for path in paths:
        parts = PurePosixPath(path).parts
        node = root
        for part in parts[:-1]:
            node = node.dirs.setdefault(part, Node())
        node.files.append(path)
    return root


def _requires_met(files: list[str], requires: list[str]) -> bool:
    exts = {"video": roles.VIDEO_EXT, "audio": roles.AUDIO_EXT}
    return all(any(roles.ext(f) in exts[r] for f in files) for r in requires)


def _walk(layout: Layout, name: str, node: Node, depth: int, path: tuple, fields: dict):
    """(works, leftover files) if NODE and everything under it fits LAYOUT from DEPTH on, else None."""
    m = layout.levels[depth].fullmatch(name)
    if not m:
        return None
    fields = fields | {k: v.strip() for k, v in m.groupdict().items() if v and v.strip()}
    path = path + (name,)
    if depth == len(layout.levels) - 1:
        files = node.all_files()
        if not files or not _requires_met(files, layout.requires):
            return None
        return [Work(path, fields, files, layout)], []
    if not node.dirs:
        return None
    works, leftovers = [], list(node.files)
    for child_name, child in node.dirs.items():
        found = _walk(layout, child_name, child, depth + 1, path, fields)
        if found is None:
            return None
        works += found[0]
        leftovers += found[1]
    return works, leftovers


def match(root_name: str, paths: list[str], layouts: list[Layout]) -> tuple[list[Work], list[str]] | None:
    """The works in a package, and the files that sit between them (loose files at a folder level
    above the works), by the layout that leaves fewest such files; None if no layout fits.

    PATHS are relative to the package root and start with ROOT_NAME.
    """
    top = tree(paths).dirs.get(root_name)
    if top is None:
        return None
    fits = [found for l in layouts if (found := _walk(l, root_name, top, 0, (), {}))]
    return min(fits, key=lambda f: len(f[1])) if fits else None
