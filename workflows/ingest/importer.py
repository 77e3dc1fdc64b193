"""Import submission packages (folders, archives, FTP) into the station.

One package is read once: listed, judged, streamed into the content store
(hash and copy in one pass), split into works by the profile's layout, and
each work is written in its own transaction, so a crash leaves whole
submissions or none. The teacher's files are only ever read.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable

import store
from store import audit, versions
from store.objects import TooLarge
from workflows import campaigns, deadlines
from workflows.errors import StationError
from workflows.ingest import archives, awards, county, duplicates, forms, layout
from workflows.ingest.archives import ArchiveError, Problem
from workflows.profiles import load as profiles
from workflows.profiles import roles
from workflows.progress import Progress, ProgressFn
from workflows.rules import stages
from workflows.station import Station, actor

FORM_KINDS = ("xlsx", "docx", "doc", "wps")  # in order of preference when a work has several copies
SCANNED_KINDS = ("pdf", "jpg", "png")  # a signed scan: expected, read by a person
MISMATCH_FIELDS = {
    "title": "作品名称",
    "school": "学校/单位",
    "county": "县区",
    "stage": "学段",
    "project": "项目",
    "teacher": "教师",
}


@dataclass
class Counters:
    """How far the import is: packages and bytes (reported as a workflows.progress.Progress)."""

    package: str = ""
    packages_done: int = 0
    packages_total: int = 0
    bytes_done: int = 0
    bytes_total: int = 0

    def report(self) -> Progress:
        return Progress(
            "import",
            self.packages_done,
            self.packages_total,
            "个",
            self.bytes_done,
            self.bytes_total,
            self.package,
        )


@dataclass
class Summary:
    packages: int = 0
    submissions: int = 0
    versions: int = 0
    unchanged: int = 0
    files: int = 0
    bytes: int = 0
    rejected: int = 0
    findings: int = 0
    ignored: list[str] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Origin:
    """Where packages come from: SOURCE as the user gave it, and the key base for local paths."""

    label: str
    root: Path
    key_base: str

    def key(self, path: Path) -> str:
        rel = path.relative_to(self.root).as_posix() if path != self.root else ""
        return archives.display_name(self.key_base + ("/" + rel if rel else ""))


class Importer:
    def __init__(
        self,
        station: Station,
        campaign: str | None = None,
        force: bool = False,
        progress: ProgressFn | None = None,
        cancelled: Callable[[], bool] | None = None,
    ):
        self.station = station
        self.campaign = campaigns.get(station, campaign)
        self.profile = profiles.load(self.campaign["profile"], station.config_dir)
        self.force = force
        self.db = station.db()
        self.objects = station.objects
        self.summary = Summary()
        self.progress = Counters()
        self._progress = progress or (lambda p: None)
        self._cancelled = cancelled or (lambda: False)
        self.actor = actor()

    # --- sources -------------------------------------------------------------------------

    def run(self, sources: list[str]) -> Summary:
        plan: list[tuple[Origin, Path]] = []
        for source in sources:
            origin = self._origin(source)
            plan += [(origin, pkg) for pkg in self._packages(origin.root)]
        self.progress.packages_total = len(plan)
        self.progress.bytes_total = sum(_tree_size(p) for _, p in plan)
        for origin, pkg in plan:
            if self._cancelled():
                break
            self.progress.package = archives.display_name(pkg.name)
            self._report()
            try:
                self._package(origin, pkg)
            except Exception as e:  # one broken package never aborts the others: it becomes a finding
                self._failed(origin, pkg, e)
            self.progress.packages_done += 1
            self._report()
        duplicates.refresh(self.db, self.station.config_dir)
        awards.refresh(self.db, self.station.config_dir)
        with store.write(self.db):  # works that do not say their county: from the school, the station or the table
            county.refresh(self.db, self.campaign["id"])
        self.summary.findings += deadlines.mark_late(self.station, self.summary.ids)
        if self.summary.ids:
            marks = ",".join("?" * len(self.summary.ids))
            self.summary.findings += self.db.execute(
                f"SELECT COUNT(*) FROM findings WHERE rule IN (?, ?) AND submission_id IN ({marks})",
                [duplicates.RULE, awards.RULE, *self.summary.ids],
            ).fetchone()[0]
        return self.summary

    def _origin(self, source: str) -> Origin:
        if source.startswith("ftp://"):
            from workflows.ingest import ftp

            try:
                local = ftp.pull(source, self.station.spool / "ftp", progress=self._download)
            except ftp.FtpError as e:
                raise StationError(e.code, e.message) from e
            label = ftp.redact(source)
            return Origin(label, local, label.rstrip("/"))
        path = Path(source)
        if not os.path.lexists(path):
            raise StationError("source.missing", f"找不到导入来源：{archives.display_name(source)}")
        try:
            path = path.resolve()  # the source the user named may be a link; nothing inside it is followed
        except (OSError, RuntimeError) as e:
            raise StationError("source.unreadable", f"无法读取导入来源：{archives.display_name(source)}：{e}") from e
        label = archives.display_name(str(path))
        return Origin(label, path, str(path))

    def _packages(self, path: Path) -> list[Path]:
        """The packages of a share: every child, judged by lstat (links and special files are packages too,
        refused with a finding; nothing is followed or opened here)."""
        if not stat.S_ISDIR(os.lstat(path).st_mode) or self._is_package(path):
            return [path]
        try:
            children = sorted(os.scandir(path), key=lambda d: d.name)
        except OSError:
            return [path]  # an unreadable share: one package, refused as source.unreadable
        names = {d.name for d in children}
        out = []
        for child in children:
            if roles.is_junk(child.name):
                self.summary.ignored.append(archives.display_name(child.path))
            elif (
                child.is_file(follow_symlinks=False)
                and archives.is_later_volume(Path(child.name))
                and _first_volume(child.name) in names
            ):
                continue  # read through its first volume (a lone later volume is refused: 缺少第一卷)
            else:
                out.append(Path(child.path))
        return out

    def _is_package(self, path: Path) -> bool:
        """A folder given directly is itself a package when it holds loose files or its name fits a layout."""
        try:
            with os.scandir(path) as it:
                for child in it:
                    if (
                        child.is_file(follow_symlinks=False)
                        and not roles.is_junk(child.name)
                        and not archives.is_archive(Path(child.name))
                    ):
                        return True
        except OSError:
            return True  # unreadable: the folder itself becomes one package with a finding
        name = archives.display_name(path.name)
        return any(l.levels[0].fullmatch(name) and not l.levels[0].fullmatch("\x00") for l in self.profile.layouts)

    # --- one package ---------------------------------------------------------------------

    def _package(self, origin: Origin, pkg: Path) -> None:
        key = origin.key(pkg)
        signature = _signature(pkg)
        if not self.force and self._seen(key, signature):
            self.summary.unchanged += 1
            self.progress.bytes_done += _tree_size(pkg)
            return
        self.summary.packages += 1
        st = os.lstat(pkg)
        is_dir = stat.S_ISDIR(st.st_mode)
        if stat.S_ISLNK(st.st_mode):  # never followed: the target may be outside the share
            target = archives.display_name(os.readlink(pkg))
            return self._reject(
                origin,
                pkg,
                key,
                signature,
                [
                    Problem(
                        "source.link",
                        f"“{archives.display_name(pkg.name)}”是指向“{target}”的符号链接，为防止读取共享目录之外的内容，"
                        "未跟随读取。请把作品本身放入共享目录",
                        measured=f"符号链接 → {target}",
                        expected="普通文件或文件夹",
                    )
                ],
            )
        try:
            reader = archives.DirReader(pkg) if is_dir else archives.open_reader(pkg)
            entries = reader.entries()
        except ArchiveError as e:
            return self._reject(origin, pkg, key, signature, [Problem(e.rule, f"{_kind_zh(pkg)}无法读取：{e}")])
        notes = []  # findings that do not refuse the package
        if is_dir:
            unreadable = [e for e in entries if e.error]
            if any(not e.raw for e in unreadable):
                why = next(e.error or "" for e in unreadable if not e.raw)
                return self._reject(origin, pkg, key, signature, [_unreadable("文件夹", why)])
            notes += [_unreadable(e.name, e.error or "") for e in unreadable]
            notes += _long_paths(pkg, entries)
            entries = [e for e in entries if not e.error]
        problems = archives.judge(entries, self.station.limits, packed=None if is_dir else st.st_size)
        if is_dir:  # a folder on the share: report links, never follow them
            problems = [p for p in problems if p.rule == "archive.unsafe"]
        if problems and not is_dir:
            return self._reject(origin, pkg, key, signature, problems)
        notes += archives.portability_problems(entries)

        names = {
            archives.pure(e.name).as_posix(): e
            for e in entries
            if not (e.is_dir or e.is_link or e.is_special or archives.unsafe_name(e.name))
        }
        for name in [n for n in names if roles.is_junk(n)]:
            self.summary.ignored.append(f"{archives.display_name(str(pkg))}/{name}")
            del names[name]
        if not names and not notes and not problems:
            what = "文件夹" if is_dir else "压缩包"
            return self._reject(
                origin,
                pkg,
                key,
                signature,
                [
                    Problem(
                        "archive.empty",
                        f"{what}“{archives.display_name(pkg.name)}”中没有任何文件（只有空文件夹或完全为空），请学校重新报送",
                        measured="0 个文件",
                        expected="至少一个作品文件",
                    )
                ],
            )
        root, prefix = _root(pkg, list(names))
        paths = {prefix + n: n for n in names}
        fit = layout.match(root, list(paths), self.profile.layouts)
        works, leftovers = fit if fit else ([], list(paths))
        if leftovers:  # files no layout places: one work of their own, flagged for a person
            works.append(layout.Work((root,), {}, leftovers, None))
        try:
            stored = self._extract(reader, is_dir, names)
        except TooLarge:
            return self._reject(
                origin,
                pkg,
                key,
                signature,
                [Problem("archive.too_large", "压缩包解压后的实际大小超过声明大小或上限，疑似压缩炸弹，已拒收")],
            )
        except ArchiveError as e:
            return self._reject(origin, pkg, key, signature, [Problem(e.rule, f"{_kind_zh(pkg)}解压失败：{e}")])
        notes += [_unreadable(name, why) for name, why in getattr(reader, "unreadable", [])]
        for work in works:
            files = {work.relative(p): stored[paths[p]] for p in work.files if paths[p] in stored}
            self._save_work(origin, pkg, key, work, files, (problems if is_dir else []) + notes)
        self._remember(key, signature)

    def _failed(self, origin: Origin, pkg: Path, error: Exception) -> None:
        """A package that raised unexpectedly: a rejected submission saying so, never an aborted import."""
        if self.db.conn.in_transaction:  # store.write rolls back on error; this is belt and braces
            self.db.conn.rollback()
        what = archives.display_name(f"{type(error).__name__}: {error}")[:500]
        problem = Problem(
            "import.failed",
            f"{_kind_zh(pkg)}“{archives.display_name(pkg.name)}”导入时出错，未能导入：{what}。其他报送包照常导入",
            measured=what,
            expected="可正常导入",
        )
        try:
            signature = _signature(pkg) + ":failed"  # never matches: the next import tries the package again
        except OSError:
            signature = "failed"
        self._reject(origin, pkg, origin.key(pkg), signature, [problem])

    def _extract(self, reader, trusted_sizes: bool, names: dict) -> dict[str, tuple[str, int, bytes]]:
        stored: dict[str, tuple[str, int, bytes]] = {}
        total = [0]
        open_writers = []
        limits = self.station.limits

        def open_sink(raw_name: str):
            name = archives.pure(raw_name).as_posix()
            entry = names.get(name)
            if entry is None or name in stored:
                return None
            writer = self.objects.writer(limit=None if trusted_sizes else entry.size)
            open_writers.append(writer)
            return _Counted(writer, total, limits.max_total_bytes, self._tick)

        def close_sink(raw_name: str, sink) -> None:
            writer = sink.writer
            writer.commit()
            open_writers.remove(writer)
            stored[archives.pure(raw_name).as_posix()] = (writer.sha256, writer.size, writer.head)

        try:
            reader.extract(open_sink, close_sink)
        finally:
            for writer in open_writers:
                writer.abort()
        return stored

    def _report(self) -> None:
        self._progress(self.progress.report())

    def _download(self, name: str, done: int, total: int) -> None:
        self._progress(Progress("ftp", 0, 0, "个", done, total, f"下载 {name}"))

    def _tick(self, n: int) -> None:
        self.progress.bytes_done += n
        self._report()

    def _reject(self, origin: Origin, pkg: Path, key: str, signature: str, problems: list[Problem]) -> None:
        self.summary.rejected += 1
        name = archives.display_name(pkg.name)
        files = {}
        if all(p.rule not in ("source.link", "source.unreadable") for p in problems) and _regular(pkg):
            try:  # keep the refused archive itself as evidence (a regular file only: links and FIFOs are not read)
                files = {name: self.objects.put_file(pkg, on_bytes=self._tick)}
            except OSError:
                files = {}
        work = layout.Work((name,), {"title": name}, [], None)
        self._save_work(origin, pkg, key, work, files, problems, status="rejected", work_key=key)
        self._remember(key, signature)

    # --- one work ------------------------------------------------------------------------

    def _save_work(
        self,
        origin: Origin,
        pkg: Path,
        pkg_key: str,
        work: layout.Work,
        files: dict[str, tuple[str, int, bytes]],
        problems: list[Problem],
        status: str = "imported",
        work_key: str | None = None,
    ) -> None:
        source_key = work_key or (pkg_key + "/" + "/".join(work.path[1:]) if len(work.path) > 1 else pkg_key)
        rows: list[dict[str, Any]] = []
        for rel, (sha, size, head) in sorted(files.items()):
            kind = roles.detect_kind(rel, head)
            role = roles.detect_role(rel, kind) if status == "imported" else None
            listing = None
            if status == "imported" and kind in ("zip", "rar", "7z"):
                listing = json.dumps(archives.listing(self.objects.path(sha)), ensure_ascii=False)
            rows.append({"path": rel, "size": size, "sha256": sha, "kind": kind, "role": role, "listing": listing})
        fingerprint = hashlib.sha256(
            json.dumps(
                [status] + [[r["path"], r["sha256"]] for r in rows] + [p.rule for p in problems], ensure_ascii=False
            ).encode()
        ).hexdigest()

        findings = [
            dict(
                rule=p.rule,
                status=p.status or ("fail" if p.rule.startswith(("archive.", "source.", "import.")) else "warn"),
                measured=p.measured,
                expected=p.expected,
                message=p.message,
                file=None,
            )
            for p in problems
        ]
        meta, values, authors = self._metadata(work, rows, findings)
        if status == "imported" and values.pop("out_of_scope", False):
            status = "rejected"  # not a county work: kept and shown, never checked or recommended
        if work.layout is None and status == "imported":
            names = "；".join(f"{l.name}（{l.clause}）" if l.clause else l.name for l in self.profile.layouts)
            findings.append(
                dict(
                    rule="layout.unrecognised",
                    status="warn",
                    measured="/".join(work.path),
                    expected=names,
                    file=None,
                    message=f"文件夹“{'/'.join(work.path)}”不符合《{self.profile.name}》的报送结构：{names}。已按一件作品导入，请人工核对",
                )
            )

        db = self.db
        with store.write(db):
            now = audit.now()
            saved = versions.save_version(
                db,
                self.campaign["id"],
                source_key,
                fingerprint,
                dict(values, layout=work.layout.name if work.layout else None),
                meta=meta,
                source=origin.label,
                at=now,
                status=status,
                authors=authors,
                files=rows,
                findings=findings,
            )
            if saved is None:
                self.summary.unchanged += 1
                return
            sub_id = saved.id
            audit.append(
                db,
                self.actor,
                "submission.rejected" if status == "rejected" else "submission.imported",
                f"submission:{sub_id}",
                source=origin.label,
                source_key=source_key,
                version=saved.version,
                files=len(rows),
                fingerprint=fingerprint,
                supersedes=saved.supersedes,
                findings=[f["rule"] for f in findings],
            )
        s = self.summary
        s.submissions += 1
        s.versions += 1 if saved.supersedes is not None else 0
        s.files += len(rows)
        s.bytes += sum(r["size"] for r in rows)
        s.findings += len(findings)
        s.ids.append(sub_id)

    def _metadata(self, work: layout.Work, rows: list[dict], findings: list[dict]):
        """Values from the form and from the folders: the form wins, disagreements are findings.

        Returns (meta, values, authors) with authors as (name, role, unit).
        """
        folder = dict(work.fields)
        form = forms.Form()
        form_file = None
        candidates = [r for r in rows if r["role"] == "申报表"]
        readable = sorted((r for r in candidates if r["kind"] in FORM_KINDS), key=lambda r: FORM_KINDS.index(r["kind"]))
        for r in readable:
            try:
                form = forms.read(self.objects.path(r["sha256"]), r["kind"])
                form_file = r["path"]
                break
            except forms.FormError as e:
                findings.append(
                    dict(
                        rule="meta.unreadable",
                        status="warn",
                        measured=str(e),
                        expected="可读取的表格",
                        file=r["path"],
                        message=f"申报表“{r['path']}”无法读取：{e}。作者、学段、项目等未能从申报表取得，请人工核对",
                    )
                )
        if form_file is None:
            for r in candidates:
                if r["kind"] not in FORM_KINDS and r["kind"] not in SCANNED_KINDS:
                    findings.append(
                        dict(
                            rule="meta.unreadable",
                            status="warn",
                            measured=f"{r['path']}（{r['kind']}）",
                            expected="xlsx、docx、doc 或 wps 表格",
                            file=r["path"],
                            message=f"申报表“{r['path']}”不是可读取的表格（内容为 {r['kind']}），作者等信息未能读取，请人工核对",
                        )
                    )
        form_values = dict(form.fields)
        if form.authors:
            form_values["teacher"] = form.authors[0][0]
        if "title" not in folder:
            video = next((r["path"] for r in rows if r["kind"] in ("video", "audio")), None)
            folder["title"] = PurePosixPath(video).stem if video and work.layout else work.path[-1]
        for key, label in MISMATCH_FIELDS.items():
            a, b = form_values.get(key), work.fields.get(key)
            if a and b and not _agrees(key, a, b):
                findings.append(
                    dict(
                        rule="meta.mismatch",
                        status="warn",
                        measured=f"申报表：{a}",
                        expected=f"文件夹：{b}",
                        file=None,
                        message=f"{label}不一致：申报表填写“{a}”，文件夹名称为“{b}”，两者均已保留，请核对",
                    )
                )
        values: dict[str, Any] = {
            k: form_values.get(k) or folder.get(k)
            for k in ("title", "project", "stage", "subject", "grade", "school", "contact", "node_code", "original")
        }
        if form.authors:
            authors = [(name, role, form.units.get(name) or values.get("school")) for name, role in form.authors]
        elif folder.get("teacher"):
            authors = [(folder["teacher"], "第一作者", values.get("school"))]
        else:
            authors = []
        values["county"], values["county_source"] = county.explicit(form_values, folder)
        findings += self._split_warning(work) + self._scope(values)
        values["out_of_scope"] = any(f["rule"] == "eligibility.scope" for f in findings)
        # The folders from the package root down to the work, as the teacher named them (`station submit` keeps
        # the teacher's 一级文件夹 name for 004's one-archive-per-teacher).
        meta = {
            "form": form_values,
            "folder": folder,
            "form_file": form_file,
            "boxes": form.boxes,
            "path": list(work.path) if work.layout else [],
        }
        return meta, values, authors

    def _split_warning(self, work: layout.Work) -> list[dict]:
        """A 学段学校教师姓名 folder written without separators was split on the 学段 and the school's ending."""
        f = work.fields
        if not (work.layout and f.get("stage") and f.get("school") and f.get("teacher")):
            return []
        top = next((p for p in work.path if p.startswith(f["stage"])), "")
        if top != f["stage"] + f["school"] + f["teacher"]:
            return []
        clause = work.layout.clause or "一级文件夹命名为“学段+学校+教师姓名”"
        return [
            dict(
                rule="layout.concatenated",
                status="warn",
                measured=top,
                expected="学段+学校+教师姓名",
                file=None,
                message=f"文件夹“{top}”的学段、学校、教师姓名之间没有分隔符，已拆分为学段“{f['stage']}”、"
                f"学校“{f['school']}”、教师“{f['teacher']}”，请核对（{self.profile.name}，{clause}）",
            )
        ]

    def _scope(self, values: dict) -> list[dict]:
        """A 项目 the county does not select (the vocational 专项 goes straight to the province)."""
        spec = self.profile.data.get("rules", {}).get("eligibility.scope") or {}
        project = values.get("project") or ""
        if spec.get("enabled") is False or project not in spec.get("out_of_scope", []):
            return []
        clause = spec.get("clause", "")
        return [
            dict(
                rule="eligibility.scope",
                status="fail",
                measured=project,
                expected="区级评选的项目",
                file=None,
                message=f"“{project}”不参与区级评选，由教师直接参加省级活动，本站不作技术检查，也不能推荐"
                f"（{self.profile.name}" + (f"，{clause}" if clause else "") + "）",
            )
        ]

    # --- bookkeeping ---------------------------------------------------------------------

    def _seen(self, key: str, signature: str) -> bool:
        row = self.db.execute(
            "SELECT signature FROM imports WHERE campaign_id = ? AND source_key = ?", [self.campaign["id"], key]
        ).fetchone()
        return bool(row and row[0] == signature)

    def _remember(self, key: str, signature: str) -> None:
        with store.write(self.db):
            self.db.execute(
                "INSERT INTO imports (campaign_id, source_key, signature, imported_at) VALUES (?,?,?,?) "
                "ON CONFLICT (campaign_id, source_key) DO UPDATE SET signature = excluded.signature, "
                "imported_at = excluded.imported_at",
                [self.campaign["id"], key, signature, audit.now()],
            )


class _Counted:
    """A sink that counts every byte against the package's total limit."""

    def __init__(self, writer, total: list[int], limit: int, tick):
        self.writer, self.total, self.limit, self.tick = writer, total, limit, tick

    def write(self, data: bytes) -> int:
        self.total[0] += len(data)
        if self.total[0] > self.limit:
            raise TooLarge(self.total[0])
        self.writer.write(data)
        self.tick(len(data))
        return len(data)


def _root(pkg: Path, names: list[str]) -> tuple[str, str]:
    """The package's root folder name, and the prefix that puts NAMES under it."""
    if stat.S_ISDIR(os.lstat(pkg).st_mode):
        name = archives.display_name(pkg.name)
        return name, name + "/"
    tops = {PurePosixPath(n).parts[0] for n in names}
    if len(tops) == 1 and all(len(PurePosixPath(n).parts) > 1 for n in names):
        return tops.pop(), ""
    stem = archives.display_name(pkg.stem)
    return stem, stem + "/"


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _first_volume(name: str) -> str:
    """作品.part2.rar -> 作品.part1.rar (the width of the number kept: part02 -> part01)."""
    return re.sub(r"\.part(\d+)\.rar$", lambda m: ".part" + "1".zfill(len(m[1])) + ".rar", name, flags=re.IGNORECASE)


def _unreadable(name: str, why: str) -> Problem:
    return Problem(
        "source.unreadable",
        f"“{name}”无法读取（{why}），未导入。请检查共享目录的权限后重新导入",
        measured=why,
        expected="可读取",
    )


def _long_paths(pkg: Path, entries: list) -> list[Problem]:
    base = len(os.fsencode(str(pkg))) + 1
    long = [e for e in entries if e.raw and base + len(os.fsencode("/".join(e.raw))) >= archives.PATH_MAX]
    if not long:
        return []
    e = long[0]
    n = base + len(os.fsencode("/".join(e.raw)))
    return [
        Problem(
            "name.portable",
            f"“{e.name[:80]}…”等 {len(long)} 个路径长 {n} 字节，超过系统上限 {archives.PATH_MAX} 字节。"
            "已逐级读取并导入，但多数程序无法按路径打开，建议缩短文件夹层级。通知未规定，仅作提示",
            measured=f"{n} 字节",
            expected=f"< {archives.PATH_MAX} 字节",
            status="warn",
        )
    ]


def _signature(path: Path) -> str:
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        return f"1:{st.st_size}:{st.st_mtime_ns}:{st.st_mode:o}"
    count = size = newest = errors = 0
    for _, st, error in archives.walk(path):
        if st is None:
            errors += 1
            continue
        count += 1
        size += st.st_size
        newest = max(newest, st.st_mtime_ns)
    return f"{count}:{size}:{newest}" + (f":e{errors}" if errors else "")


def _tree_size(path: Path) -> int:
    try:
        st = os.lstat(path)
    except OSError:
        return 0
    if not stat.S_ISDIR(st.st_mode):
        return st.st_size if stat.S_ISREG(st.st_mode) else 0
    return sum(st.st_size for _, st, _ in archives.walk(path) if st is not None and stat.S_ISREG(st.st_mode))


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in text if c.isalnum())


def _agrees(key: str, a: str, b: str) -> bool:
    """Whether the form's and the folder's value of KEY say the same (幼儿园 and 学前教育 are one 学段)."""
    if key == "stage":
        same = stages.same(a, b)
        if same is not None:
            return same
    return _same(a, b)


def _same(a: str, b: str) -> bool:
    a, b = _norm(a), _norm(b)
    return a == b or (bool(a) and bool(b) and (a in b or b in a))


def _kind_zh(pkg: Path) -> str:
    try:
        return "文件夹" if stat.S_ISDIR(os.lstat(pkg).st_mode) else "压缩包"
    except OSError:
        return "报送包"


def run(station: Station, sources: list[str], campaign: str | None = None, **kwargs) -> Summary:
    return Importer(station, campaign, **kwargs).run(sources)
