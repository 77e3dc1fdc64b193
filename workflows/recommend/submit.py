"""`station submit`: what the campaign's notice asks the county to send upward, for its recommended works.

One builder per programme (by profile id) writes into a hidden partial folder beside OUT: the works in the
notice's layout, the notice's 汇总表/资源列表, the paper forms as .docx, and 待办.txt (everything a person must
still do: seals, signatures, platform steps, deadlines). The works written are then re-imported into a scratch
station (a temporary folder, never the user's station) under the same profile; any layout, naming or component
finding there is reported as a problem. The partial folder is renamed to OUT at the end.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from exporters import forms_docx, sheet_xlsx, zipcn
from exporters.files import fsync_dir
from store import db as store_db
from store import queries
from workflows import campaigns, deadlines
from workflows.errors import StationError
from workflows.profiles import load as profiles
from workflows.quotas import rules as quotas
from workflows.recommend import summary
from workflows.station import Station

# Findings in the scratch station that mean the output is not what the notice's layout expects.
VERIFY_RULES = ("layout.unrecognised", "package.naming", "package.components")
SEAL_LINE = "填报单位（盖章）：" + "　" * 10 + "负责人（签字）：" + "　" * 6 + "日期：　　　　年　　月　　日"
_BAD = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


@dataclass
class Ctx:
    station: Station
    camp: dict
    profile: profiles.Profile
    works: list[dict]
    root: Path  # the partial output folder
    unit: str
    todo: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    reimport: list[Path] = field(default_factory=list)  # sources to re-import
    expected: int = 0  # works the re-import must find
    written: list[str] = field(default_factory=list)

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


def run(station: Station, campaign: str | None, out: Path, unit: str | None = None) -> dict:
    camp = campaigns.get(station, campaign)
    profile = profiles.load(camp["profile"], station.config_dir)
    builder = BUILDERS.get(_programme(profile.id))
    if builder is None:
        raise StationError(
            "submit.profile", f"项目配置“{profile.id}”没有对应的上报格式；支持：{'、'.join(sorted(BUILDERS))}"
        )
    db = station.db()
    _, recommended = quotas.works(db, camp["id"])
    works = queries.submissions(db, ids=sorted(recommended)) if recommended else []
    if not works:
        raise StationError("submit.empty", f"征集活动“{camp['name']}”还没有推荐的作品，没有可上报的内容")
    out = Path(out).absolute()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise StationError("submit.exists", f"输出文件夹 {out} 已存在且不为空：请指定一个新的文件夹")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    except OSError as e:
        raise StationError("submit.write", f"无法在 {out.parent} 写入：{e.strerror or e}") from None
    ctx = Ctx(station, camp, profile, works, partial, unit or _unit(station))
    try:
        builder(ctx)
        if ctx.reimport:
            ctx.problems += verify(ctx)
        _todo(ctx)
        if out.exists():
            out.rmdir()
        partial.rename(out)
        fsync_dir(out.parent)
    except OSError as e:
        shutil.rmtree(partial, ignore_errors=True)
        raise StationError(
            "submit.write", f"写入上报材料失败：{e.strerror or e}（{getattr(e, 'filename', '')}）"
        ) from None
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return {
        "campaign": camp["name"],
        "profile": profile.id,
        "out": str(out),
        "works": len(works),
        "files": sorted(ctx.written),
        "todo": ctx.todo,
        "problems": ctx.problems,
        "verified": bool(ctx.reimport),
    }


def _programme(profile_id: str) -> str:
    for prefix in ("jpk-", "ce-"):
        if profile_id.startswith(prefix):
            return prefix.rstrip("-")
    return profile_id


def _unit(station: Station) -> str:
    try:
        from workflows import keys

        return keys.public(station).name if keys.has_identity(station) else ""
    except StationError:
        return ""


# --- shared pieces -------------------------------------------------------------------------


def safe(text: str | None, fallback: str = "未命名") -> str:
    """A folder or file name Windows accepts, from teacher text."""
    name = _BAD.sub("_", (text or "").strip()).strip(" .")
    return name[:80] or fallback


def _unique(name: str, taken: set[str]) -> str:
    out, n = name, 2
    while out in taken:
        out, n = f"{name}（{n}）", n + 1
    taken.add(out)
    return out


def copy_files(ctx: Ctx, work: dict, dest: Path, keep=lambda f: True) -> list[dict]:
    """Copy the work's files (from the content store) under DEST at their paths in the work; returns those left out."""
    left = []
    for f in work["files"]:
        if not keep(f):
            left.append(f)
            continue
        target = dest.joinpath(*[safe(p) for p in Path(f["path"]).parts])
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ctx.station.objects.path(f["sha256"]), target)
    return left


def _meta(work: dict, *keys: str) -> str:
    meta = work.get("meta") or {}
    for origin in ("form", "folder"):
        for key in keys:
            value = (meta.get(origin) or {}).get(key)
            if value:
                return str(value)
    return ""


def form_pairs(ctx: Ctx, work: dict) -> dict[str, str]:
    """Every label/value of the work's 申报表/登记表 (Word or Excel), for fields the importer does not keep."""
    from workflows.ingest import forms

    for f in work["files"]:
        if f.get("role") == "申报表" and f.get("kind") in ("docx", "xlsx"):
            try:
                return forms.pairs(ctx.station.objects.path(f["sha256"]), f["kind"])
            except forms.FormError:
                continue
    return {}


def role_names(work: dict) -> dict[str, list[str]]:
    """授课教师 (the first author), 教学指导, 技术指导, 团队成员: names by role."""
    out: dict[str, list[str]] = {"授课教师": [], "教学指导": [], "技术指导": [], "团队成员": []}
    for n, a in enumerate(work.get("author_roles") or []):
        role = a.get("role") or ""
        key = "教学指导" if "教学指导" in role else "技术指导" if "技术指导" in role else None
        if key is None:
            key = "授课教师" if n == 0 or role in ("第一作者", "授课教师") and not out["授课教师"] else "团队成员"
        out[key].append(a["name"])
    return out


def _deadline_lines(ctx: Ctx) -> list[str]:
    rows = deadlines.for_campaign(ctx.station, ctx.camp)
    today = date.today()
    out = []
    for d in rows:
        left = (date.fromisoformat(d["at"][:10]) - today).days
        when = f"{d['start']} 至 {d['at']}" if d.get("start") else d["at"]
        state = f"还剩 {left} 天" if left >= 0 else f"已过 {-left} 天"
        out.append(f"{when}　{d['name']}（{state}）" + (f"　依据：{d['clause']}" if d.get("clause") else ""))
    return out


def _todo(ctx: Ctx) -> None:
    lines = [
        f"{ctx.camp['name']}　上报材料待办事项",
        f"项目配置：{ctx.profile.name}（{ctx.profile.id} {ctx.profile.version}）；依据：{ctx.profile.notice}",
        f"推荐作品：{len(ctx.works)} 件；生成日期：{date.today().isoformat()}",
        "",
        "以下事项须由人工完成（工作站不能代为盖章、签字或登录平台）：",
    ]
    lines += [f"{n}. {t}" for n, t in enumerate(ctx.todo, 1)]
    dl = _deadline_lines(ctx)
    if dl:
        lines += ["", "时间节点："] + [f"- {x}" for x in dl]
    if ctx.problems:
        lines += ["", "复核发现的问题（须先解决再上报）："] + [f"- {p}" for p in ctx.problems]
    lines += ["", "本文件夹内容："] + [f"- {w}" for w in sorted(ctx.written)]
    path = ctx.root / "待办.txt"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8-sig")  # BOM + CRLF: Windows 记事本 reads it
    ctx.written.append("待办.txt")


def _summary_rows(ctx: Ctx) -> list[dict]:
    return summary.enrich(ctx.station, ctx.camp, ctx.works)


# --- 课后服务 (000) --------------------------------------------------------------------------

AFTER_SCHOOL_PARTS = ("课程视频", "课件", "申报表")
AFTER_SCHOOL_COLUMNS = [
    "序号",
    "课程名称",
    "申报人姓名",
    "单位",
    "职称/职务",
    "联系电话",
    "团队成员",
    "是否原创",
    "原创单位",
    "资源类别",
    "适用年级",
    "视频数量",
]


def after_school(ctx: Ctx) -> None:
    base = ctx.root / "资源包"
    by_school: dict[str, list[dict]] = {}
    for w in ctx.works:
        if not w.get("school"):
            ctx.problems.append(f"#{w['id']}《{w['title']}》没有学校名称，无法按“xx学校课后服务课程资源”命名资源包")
            continue
        by_school.setdefault(w["school"], []).append(w)
    for school, works in by_school.items():
        pkg = base / f"{safe(school)}课后服务课程资源"
        taken: set[str] = set()
        for w in works:
            folder = pkg / _unique(safe(w["title"]), taken)
            left = copy_files(ctx, w, folder, keep=lambda f: f.get("role") in AFTER_SCHOOL_PARTS)
            for f in left:
                ctx.todo.append(
                    f"#{w['id']}《{w['title']}》的“{f['path']}”不属于通知列出的视频、课件、申报表，未放入资源包；"
                    "如确需上报请人工补入"
                )
        ctx.reimport.append(pkg)
        ctx.expected += len(works)
        ctx.written.append(ctx.rel(pkg) + "/")
    body = []
    for n, w in enumerate(ctx.works, 1):
        roles = role_names(w)
        form = form_pairs(ctx, w)
        videos = sum(1 for f in w["files"] if f.get("kind") == "video")
        declared = form.get("视频数量", "")
        if declared and declared != str(videos):
            ctx.todo.append(
                f"#{w['id']}《{w['title']}》申报表填写视频数量 {declared}，资源包中有 {videos} 个视频：请核对"
            )
        body.append(
            [
                n,
                w["title"],
                (roles["授课教师"] or [""])[0],
                w.get("school") or "",
                form.get("职称/职务") or form.get("职称") or form.get("职务") or "",
                w.get("contact") or "",
                "、".join(roles["团队成员"] + roles["教学指导"] + roles["技术指导"]),
                w.get("original") or "",
                form.get("原创单位", ""),
                w.get("project") or "",
                w.get("grade") or "",
                videos,
            ]
        )
    name = "课后服务优秀课程资源汇总表.xlsx"
    sheet_xlsx.write(
        ctx.root / name,
        f"{ctx.camp['name']} 课后服务优秀课程资源汇总表",
        AFTER_SCHOOL_COLUMNS,
        body,
        footer=[SEAL_LINE],
    )
    ctx.written.append(name)
    ctx.todo += [
        "指定负责人在工作活动报名平台（www.hner.cn）注册，逐校提交申报表和“资源包/”下的课程资源材料"
        "（教基函〔2024〕294号 三）",
        "完成申报后从平台导出汇总表，加盖公章后扫描，报送至通知指定邮箱（hujingyi@jyt.henan.gov.cn）；"
        f"本站生成的“{name}”按申报表栏目列出推荐课程，供核对平台导出的汇总表",
        "每份申报表的“推荐意见”栏由申报人单位填写并加盖公章",
        "核对推荐数量：省辖市县区数量≥10 个的不少于 100 节，<10 个的不少于 80 节，济源示范区、航空港区、"
        f"省直管县（市）不少于 10 节（本次推荐 {len(ctx.works)} 件）",
        "所有申报材料不接受邮寄或纸质递送",
    ]


# --- 信息化交流 (004) ------------------------------------------------------------------------


def teacher_folder(work: dict) -> str:
    """The 一级文件夹 “学段+学校+教师姓名” as the teacher named it (四（一）2; issue 15: one archive per teacher
    “named after the folder”), not rebuilt from the form, whose 单位 may be longer (正定县第三中学 for 第三中学).

    A folder written without separators (小学城关小学陈静, layout.concatenated) is rebuilt from its own split parts
    with “+”, as 四（一）2 names it; "" when the work did not come from such a folder."""
    meta = work.get("meta") or {}
    path, folder = meta.get("path") or [], meta.get("folder") or {}
    if not path or not all(folder.get(k) for k in ("stage", "school", "teacher")):
        return ""
    top = str(path[0])
    if top == folder["stage"] + folder["school"] + folder["teacher"]:
        return f"{safe(folder['stage'])}+{safe(folder['school'])}+{safe(folder['teacher'])}"
    return safe(top)


def infotech(ctx: Ctx) -> None:
    base = ctx.root / "上传FTP"
    base.mkdir()
    by_teacher: dict[str, list[dict]] = {}
    for w in ctx.works:
        stage, school = w.get("stage") or "", w.get("school") or ""
        teacher = _meta(w, "teacher") or (w.get("authors") or [""])[0]
        project = w.get("project") or ""
        missing = [k for k, v in (("学段", stage), ("学校", school), ("教师姓名", teacher), ("项目", project)) if not v]
        if missing:
            ctx.problems.append(
                f"#{w['id']}《{w['title']}》缺少{'、'.join(missing)}，无法按“学段+学校+教师姓名/项目/作品名称”建立文件夹"
            )
            continue
        by_teacher.setdefault(teacher_folder(w) or f"{safe(stage)}+{safe(school)}+{safe(teacher)}", []).append(w)
    for top, works in by_teacher.items():
        entries: list[tuple[Path, str]] = []
        taken: set[str] = set()
        for w in works:
            folder = f"{top}/{safe(w['project'])}/{_unique(safe(w['title']), taken)}"
            for f in w["files"]:  # streamed from the content store into the ZIP: no staging copy
                name = "/".join([folder] + [safe(p) for p in Path(f["path"]).parts])
                entries.append((ctx.station.objects.path(f["sha256"]), name))
            if not any(f.get("role") == "申报表" and f.get("kind") == "pdf" for f in w["files"]):
                ctx.todo.append(
                    f"#{w['id']}《{w['title']}》没有签字扫描的 PDF 作品登记表：请作者签字扫描后放入作品文件夹"
                )
        archive = base / f"{top}.zip"
        zipcn.write_entries(archive, entries)
        ctx.reimport.append(archive)
        ctx.expected += len(works)
        ctx.written.append(ctx.rel(archive))
    name = "教师教育信息化交流活动汇总表.xlsx"
    summary.write(ctx.station, str(ctx.camp["id"]), ctx.root / name, f"{ctx.camp['name']} 教师教育信息化交流活动汇总表")
    ctx.written.append(name)
    ctx.todo += [
        "将“上传FTP/”中的压缩包（每位教师一个，文件名与其一级文件夹同名）上传至城域网 FTP 服务器（第四条第3款）。"
        "通知要求 RAR 格式，免费软件无法生成 RAR，本站生成 ZIP；如上级坚持 RAR，请用 WinRAR 打开 ZIP 后“转换压缩文件”，"
        "文件名不变",
        f"“{name}”为本站格式：通知所附汇总表模板未随通知文本提供，如上级下发模板，请按模板誊录",
        "在网上报名平台完成报名（报名和作品上传时间见下方时间节点）",
    ]


# --- 精品课 (001/002) ------------------------------------------------------------------------

JPK_COLUMNS = [
    "序号",
    "课程节点编号",
    "课题",
    "学段",
    "学科",
    "年级",
    "授课教师",
    "教学指导",
    "技术指导",
    "所在单位",
    "联系电话",
    "技术检查结论",
    "推荐意见",
]


def jpk(ctx: Ctx) -> None:
    from exporters.summary_xlsx import _opinion, check_result

    rows = _summary_rows(ctx)
    base = ctx.root / "课程资源"
    taken: set[str] = set()
    body = []
    for n, w in enumerate(rows, 1):
        roles = role_names(w)
        for role in ("授课教师", "教学指导", "技术指导"):
            if len(roles[role]) != 1:
                ctx.todo.append(
                    f"#{w['id']}《{w['title']}》的{role}为 {len(roles[role])} 人："
                    f"苏教办基函〔2024〕19号 五2 要求同步报送 1 名授课教师、1 名教学指导和 1 名技术指导人员信息，请补全"
                )
        if not w.get("node_code"):
            ctx.todo.append(f"#{w['id']}《{w['title']}》没有课程节点编号：请在汇总表中补填")
        body.append(
            [
                n,
                w.get("node_code") or "",
                w["title"],
                w.get("stage") or "",
                w.get("subject") or "",
                w.get("grade") or "",
                "、".join(roles["授课教师"]),
                "、".join(roles["教学指导"]),
                "、".join(roles["技术指导"]),
                w.get("school") or "",
                w.get("contact") or "",
                check_result(w.get("findings") or []),
                _opinion(w),
            ]
        )
        folder = base / _unique(safe(w["title"]), taken)
        copy_files(ctx, w, folder)
        ctx.reimport.append(folder)
        ctx.expected += 1
    ctx.written.append("课程资源/")
    experiment = ctx.profile.id == "jpk-experiment"
    name = "实验教学精品课汇总表.xlsx" if experiment else "基础教育精品课推荐汇总表.xlsx"
    sheet_xlsx.write(
        ctx.root / name, f"{ctx.camp['name']} {name[:-5]}", JPK_COLUMNS, body, footer=[SEAL_LINE], sheet="汇总表"
    )
    ctx.written.append(name)
    if experiment:
        _jpk_paper(ctx, rows, body)
    else:
        ctx.todo += [
            "学科课程、特殊教育精品课由教师个人通过国家智慧平台上传，经校级管理员审核后提交；县级在平台完成市级推荐"
            "（郑教基函〔2023〕528号 五（一））。“课程资源/”仅供核对，不需另行报送",
        ]
    ctx.todo.append(
        "郑州：8月15日前发送精品课工作联系表（附件5）电子版至 zzdjg5007@163.com（郑教基函〔2023〕528号 六）"
    )
    ctx.todo.append("江苏：设区市按名额分配表推荐，覆盖小学、初中、普通高中学段（苏教办基函〔2024〕19号 五2）")


def _jpk_paper(ctx: Ctx, rows: list[dict], body: list[list]) -> None:
    paper = ctx.root / "纸质材料"
    paper.mkdir()
    year = ctx.camp.get("year") or date.today().year
    # 附件10 汇总表, 一式2份
    doc = forms_docx.document(landscape=True)
    forms_docx.title(doc, f"{year}年度郑州市中小学实验教学精品课汇总表", "（附件10　一式2份）")
    forms_docx.para(doc, f"报送单位（盖章）：{ctx.unit or forms_docx.BLANK}")
    forms_docx.table(doc, [c for c in JPK_COLUMNS if c not in ("技术检查结论", "推荐意见")], [r[:11] for r in body])
    forms_docx.para(doc, SEAL_LINE)
    name = "附件10_实验教学精品课汇总表（一式2份）.docx"
    forms_docx.save(doc, paper / name)
    ctx.written.append(f"纸质材料/{name}")
    taken: set[str] = set()
    for n, w in enumerate(rows, 1):
        roles = role_names(w)
        teacher = "、".join(roles["授课教师"]) or "未填"
        folder = paper / _unique(f"{n:02d}_{safe(teacher)}_{safe(w['title'])}", taken)
        folder.mkdir()
        # 附件9 登记表, 一式3份
        doc = forms_docx.document()
        forms_docx.title(doc, f"{year}年度郑州市中小学实验教学精品课教师评选登记表", "（附件9　一式3份）")
        forms_docx.grid(
            doc,
            [
                ["课题", w["title"], "课程节点编号", w.get("node_code") or ""],
                ["学段", w.get("stage") or "", "学科", w.get("subject") or ""],
                ["年级", w.get("grade") or "", "联系电话", w.get("contact") or ""],
                ["授课教师", "、".join(roles["授课教师"]), "所在单位", w.get("school") or ""],
                ["教学指导", "、".join(roles["教学指导"]), "技术指导", "、".join(roles["技术指导"])],
                ["团队成员", "、".join(roles["团队成员"])],
                ["学校意见", "\n\n（公章）　　　　年　　月　　日"],
                ["县（区）教育局意见", "\n\n（公章）　　　　年　　月　　日"],
            ],
            label_columns=(0, 2),
            heights={6: 3, 7: 3},
        )
        forms_docx.para(doc, "授课教师签字：" + forms_docx.BLANK)
        forms_docx.save(doc, folder / "附件9_教师评选登记表（一式3份）.docx")
        # 附件11 承诺书, 一式1份
        doc = forms_docx.document()
        forms_docx.title(doc, f"{year}年度郑州市中小学实验教学精品课评选承诺书", "（附件11　一式1份）")
        forms_docx.para(
            doc,
            f"本人承诺：所报送的实验教学精品课《{w['title']}》为本人（团队）原创，内容无政治性、科学性错误，"
            "不侵犯他人知识产权，如有违反，责任自负。",
            indent=True,
        )
        forms_docx.para(doc, "（承诺书正文以郑教基函〔2023〕528号附件11为准，如有出入请按附件誊录。）", size=9)
        forms_docx.para(doc, "")
        forms_docx.para(doc, f"承诺人（签字）：{forms_docx.BLANK}", align="right")
        forms_docx.para(doc, "年　　月　　日", align="right")
        forms_docx.save(doc, folder / "附件11_评选承诺书（一式1份）.docx")
        # 附件12 上报材料, on the front of the 档案袋
        doc = forms_docx.document()
        forms_docx.title(doc, f"{year}年度郑州市中小学实验教学精品课上报材料", "（附件12　贴在档案袋正面）")
        forms_docx.grid(
            doc,
            [
                ["单位", w.get("school") or ""],
                ["授课教师", teacher],
                ["课题", w["title"]],
                ["学段/学科", f"{w.get('stage') or ''} {w.get('subject') or ''}".strip()],
                ["课程节点编号", w.get("node_code") or ""],
                [
                    "袋内材料",
                    "□ 教师评选登记表（附件9）3份\n□ 实验教学设计 2份\n□ 导学案 2份\n□ 评选承诺书（附件11）1份",
                ],
            ],
        )
        forms_docx.save(doc, folder / "附件12_上报材料（贴档案袋正面）.docx")
        for role, copies in (("实验教学设计", 2), ("导学案", 2)):
            if not any(f.get("role") == role for f in w["files"]):
                ctx.todo.append(f"#{w['id']}《{w['title']}》没有{role}文件：纸质材料需{role} {copies} 份")
        ctx.written.append(ctx.rel(folder) + "/")
    ctx.todo += [
        "打印“纸质材料/”：每位教师的登记表（附件9）一式3份、实验教学设计2份、导学案2份（取自“课程资源/”中的文件）、"
        "承诺书（附件11）1份，装入1个档案袋，附件12贴在档案袋正面；汇总表（附件10）一式2份"
        "（郑教基函〔2023〕528号 五（二）4）",
        "登记表由授课教师签字、学校和县（区）教育局签署意见并加盖公章；承诺书由承诺人签字；汇总表加盖单位公章",
        "9月4日至9月6日18:00 在郑州市实验教学精品课管理系统上报，课件只上传电子版；"
        "纸质材料 9月7日（县区）送郑州市教育局实验教学装备管理中心204室",
        "8月9日前将管理员信息申报表（附件6）发至 qgqsnhtcxdshn@163.com",
    ]


# --- 继续教育 (003) ---------------------------------------------------------------------------


def ce(ctx: Ctx) -> None:
    from workflows.checks import facts

    fields = [f["label"] for f in ctx.profile.data.get("metadata", {}).get("fields", [])]
    works = {
        w.submission["id"]: w
        for w in facts.load_works(ctx.station, ctx.station.db(), [x["id"] for x in ctx.works], None)
    }
    base = ctx.root / "资源"
    taken: set[str] = set()
    header = ["序号"] + fields + ["资源封面", "报送单位", "资源文件夹"]
    body = []
    for n, w in enumerate(ctx.works, 1):
        wf = works.get(w["id"])
        sheet = (wf.metadata_sheet() if wf else None) or {}
        folder_name = _unique(safe(w["title"]), taken)
        values = []
        for label in fields:
            value = sheet.get(label) or ""
            if not value and label == "资源名称":
                value = w["title"]
            if not value and label == "资源时长" and wf:
                facts.load_measurements(ctx.station.db(), wf)
                seconds = wf.total_duration()
                if seconds:
                    s = round(seconds)
                    value = f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"
            if not value and label == "资源时长":
                ctx.todo.append(f"#{w['id']}《{w['title']}》的资源时长未测量：请先运行 station check，或在平台手工填写")
            if not value and label == "资源类型":
                value = "A02" if ctx.profile.media == "audio" else "A01"
            values.append(str(value))
            if not value and any(
                f["label"] == label and f.get("required") for f in ctx.profile.data["metadata"]["fields"]
            ):
                ctx.todo.append(f"#{w['id']}《{w['title']}》的元数据“{label}”为空（必填）：上传时须在平台填写")
        cover = next((f["path"] for f in w["files"] if f.get("role") == "封面"), "")
        if not cover:
            ctx.todo.append(f"#{w['id']}《{w['title']}》没有 JPG 资源封面（必填）")
        body.append([n] + values + [cover, w.get("school") or ctx.unit, f"资源/{folder_name}"])
        copy_files(ctx, w, base / folder_name)
        ctx.reimport.append(base / folder_name)
        ctx.expected += 1
    ctx.written.append("资源/")
    sheet_xlsx.write(
        ctx.root / "资源列表.xlsx",
        f"{ctx.camp['name']} 报送资源列表（数字化学习资源元数据）",
        header,
        body,
        footer=[SEAL_LINE],
        sheet="资源列表",
    )
    ctx.written.append("资源列表.xlsx")
    unit = ctx.unit or forms_docx.BLANK
    doc = forms_docx.document()
    forms_docx.para(doc, "附件1", bold=True)
    forms_docx.title(doc, "终身学习资源报送工作负责人信息登记表")
    forms_docx.para(doc, "（公章）", align="right")
    forms_docx.table(doc, ["单位", "负责人姓名", "职务", "座机", "手机", "电子邮箱"], [[ctx.unit, "", "", "", "", ""]])
    forms_docx.save(doc, ctx.root / "附件1_终身学习资源报送工作负责人信息登记表.docx")
    doc = forms_docx.document()
    forms_docx.para(doc, "附件2", bold=True)
    forms_docx.title(doc, "数字化资源征集内容安全审核情况说明")
    forms_docx.para(
        doc,
        f"我{unit}（院校/单位），自愿参与{ctx.camp.get('year') or date.today().year}年度继续教育数字化资源征集工作。"
        "申报的课程资源均经过我单位审核，审核方式为全量人工精审，资源均已通过内容安全审核，无意识形态安全风险，"
        "适用于网络、新媒体等各数字化形式传播，全部申报资源版权清晰，不存在侵权等问题（报送单位及资源列表另附）。"
        "同意组织方、协办方以“继续教育数字化资源”的名义，在国家智慧教育平台、国家开放大学终身教育平台、"
        "河南终身学习网等互联网平台和媒体进行发布共享和宣传。",
        indent=True,
    )
    forms_docx.para(doc, "特此说明。", indent=True)
    forms_docx.para(doc, "（盖单位章）", align="right")
    forms_docx.para(doc, "年　　月　　日", align="right")
    forms_docx.page_break(doc)
    forms_docx.title(doc, "报送单位及资源列表")
    forms_docx.table(
        doc,
        ["序号", "资源名称", "资源类型", "报送单位"],
        [
            [
                r[0],
                r[1 + fields.index("资源名称")] if "资源名称" in fields else "",
                r[1 + fields.index("资源类型")] if "资源类型" in fields else "",
                r[-2],
            ]
            for r in body
        ],
    )
    forms_docx.save(doc, ctx.root / "附件2_数字化资源征集内容安全审核情况说明.docx")
    ctx.written += ["附件1_终身学习资源报送工作负责人信息登记表.docx", "附件2_数字化资源征集内容安全审核情况说明.docx"]
    ctx.todo += [
        "附件1 填写负责人姓名、职务、座机、手机、电子邮箱，加盖单位公章（教职成函〔2024〕192号 二（一））",
        "附件2 填写单位名称和日期，加盖单位公章；与附件1一起于 4月25日前发送至 caichong@jyt.henan.gov.cn",
        "5月15日前在国家开放大学终身教育平台（http://share.le.ouchn.cn/）上传“资源/”中的资源，"
        "并按“资源列表.xlsx”逐项填报元数据（二（二））",
    ]


BUILDERS = {"after-school-2024": after_school, "infotech-exchange": infotech, "jpk": jpk, "ce": ce}


# --- verification ----------------------------------------------------------------------------


def verify(ctx: Ctx) -> list[str]:
    """Re-import what was written into a scratch station under the same profile; the problems found."""
    from workflows.checks import facts
    from workflows.checks.evaluate import evaluate
    from workflows.ingest import importer

    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix=".submit-check-", dir=ctx.root.parent) as tmp:
        db_path = Path(tmp) / "station.db"
        scratch = Station.open(db_path)
        try:
            own = ctx.station.config_dir / "profiles" / f"{ctx.profile.id}.toml"
            if own.exists():
                (scratch.config_dir / "profiles").mkdir(parents=True, exist_ok=True)
                shutil.copyfile(own, scratch.config_dir / "profiles" / own.name)
            campaigns.add(scratch, "上报复核", ctx.profile.id)
            importer.run(scratch, [str(p) for p in ctx.reimport], "上报复核")
            sdb = scratch.db()
            found = list(sdb.query("SELECT id, title FROM submissions WHERE status = 'imported'"))
            if len(found) != ctx.expected:
                problems.append(f"重新导入得到 {len(found)} 件作品，应为 {ctx.expected} 件")
            for row in sdb.query(
                "SELECT s.title, f.rule, f.message FROM findings f JOIN submissions s ON s.id = f.submission_id "
                "WHERE f.status IN ('fail', 'warn') AND (f.rule LIKE 'layout.%' OR f.rule LIKE 'archive.%')"
            ):
                problems.append(f"《{row['title']}》{row['rule']}：{row['message']}")
            for w in facts.load_works(scratch, sdb, [r["id"] for r in found], None) if found else []:
                for f in evaluate(w, "package.*"):
                    if f.rule in VERIFY_RULES and f.status in ("fail", "warn"):
                        problems.append(f"《{w.submission['title']}》{f.rule}：{f.message}")
        finally:
            conn = getattr(store_db._local, "dbs", {}).pop(str(db_path.resolve()), None)
            if conn is not None:
                conn.close()
    return problems
